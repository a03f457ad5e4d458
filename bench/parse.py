"""Helpers for scripts/bench.

parse.py wrk|ab|zfpm-load  reads the tool's output on stdin, prints "rps p50 p99 max errors
                       unanswered" (ms; unanswered is -1 when the tool cannot tell, wrk and ab)
parse.py unanswered LOG SKIP  counts the lines of an nginx unanswered-*.log (status, seconds
                       waited) after the first SKIP whose request had waited 1 s or more
parse.py body LUA OUT  renders the request body a bench/wrk/*.lua script sends into OUT for ab,
                       and prints its Content-Type
"""
import re
import sys


def ms(value, unit):
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)}
    latency = re.search(r"Latency\s+[\d.]+\w+\s+[\d.]+\w+\s+([\d.]+)(us|ms|s|m)", text)
    errors = 0
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        errors += int(non2xx.group(1))
    return rps, pct.get("50", 0.0), pct.get("99", 0.0), ms(*latency.groups()), errors, -1


def parse_ab(text):
    rps = float(re.search(r"Requests per second:\s+([\d.]+)", text).group(1))
    pct = dict(re.findall(r"^\s+(\d+)%\s+(\d+)", text, re.M))
    failed = int(re.search(r"Failed requests:\s+(\d+)", text).group(1))
    non2xx = re.search(r"Non-2xx responses:\s+(\d+)", text)
    errors = failed + (int(non2xx.group(1)) if non2xx else 0)
    return (rps, float(pct.get("50", 0)), float(pct.get("99", 0)), float(pct.get("100", 0)), errors,
            -1)


def parse_zfpm_load(text):
    import json
    summary = json.loads(text)
    latency = summary["latency_ms"]
    return (summary["requests_per_s"], latency["p50"], latency["p99"], latency["max"],
            summary["errors"]["total"], summary["unanswered"])


def count_unanswered(log_path, skip):
    try:
        lines = open(log_path).read().splitlines()[int(skip):]
    except FileNotFoundError:
        lines = []
    print(sum(1 for line in lines if float(line.split()[1]) >= 1.0))


def render_body(lua_path, out_path):
    # The two bench scripts build their bodies from string.rep; mirror them exactly.
    lua = open(lua_path).read()
    if "multipart" in lua:
        boundary = re.search(r'local boundary = "([^"]+)"', lua).group(1)
        parts = []
        for i in range(1, 6):
            parts.append(
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file{i}\"; "
                f"filename=\"f{i}.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                + chr(64 + i) * 65536 + "\r\n")
        parts.append(f"--{boundary}--\r\n")
        body, ctype = "".join(parts), f"multipart/form-data; boundary={boundary}"
    else:
        body, ctype = "data=" + "a" * (1048576 - 5), "application/x-www-form-urlencoded"
    with open(out_path, "w") as out:
        out.write(body)
    print(ctype)


def main():
    if sys.argv[1] == "body":
        render_body(sys.argv[2], sys.argv[3])
        return
    if sys.argv[1] == "unanswered":
        count_unanswered(sys.argv[2], sys.argv[3])
        return
    text = sys.stdin.read()
    try:
        parser = {"wrk": parse_wrk, "ab": parse_ab, "zfpm-load": parse_zfpm_load}[sys.argv[1]]
        rps, p50, p99, mx, errors, unanswered = parser(text)
    except (AttributeError, KeyError, ValueError):
        sys.stderr.write("bench: could not parse the load tool's output:\n" + text)
        rps, p50, p99, mx, errors, unanswered = 0.0, 0.0, 0.0, 0.0, 1, -1
    print(f"{rps:.1f} {p50:.3f} {p99:.3f} {mx:.3f} {errors} {unanswered}")


main()
