#!/usr/bin/env python3
"""Checks the rendered Kubernetes manifests (kubectl kustomize deploy/kubernetes, on stdin)
against what the repository ships: every path, port, signal and duration they name must be the
one the image, its pool files and the Caddyfile really use. Run by kubernetes_test.sh.

usage: kubernetes_check.py REPO_ROOT CADDY_JSON < rendered.yaml
  CADDY_JSON: the pod's Caddyfile as `caddy adapt` makes it JSON (the test renders it).
Prints one line per check; exits 1 on the first that fails. Needs python3-yaml, which comes with
docker-compose (scripts/setup installs it).
"""
import glob
import json
import os
import re
import sys

import yaml

root, caddy_json_path = sys.argv[1], sys.argv[2]


def ok(what):
    print(f"kubernetes: ok: {what}")


def check(cond, what):
    if not cond:
        print(f"kubernetes: FAILED: {what}", file=sys.stderr)
        sys.exit(1)
    ok(what)


def read(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
objects = {(d["kind"], d["metadata"]["name"]): d for d in docs}
kinds = sorted(k for k, _ in objects)
check(kinds == ["ConfigMap", "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Service"],
      f"objects: {', '.join(kinds)}")
deployment = objects[("Deployment", "zfpm")]
service = objects[("Service", "zfpm")]
hpa = objects[("HorizontalPodAutoscaler", "zfpm")]
configmaps = {name: d for (kind, name), d in objects.items() if kind == "ConfigMap"}
template = deployment["spec"]["template"]
pod = template["spec"]
labels = template["metadata"]["labels"]
containers = {c["name"]: c for c in pod["containers"]}
inits = {c["name"]: c for c in pod.get("initContainers", [])}
check(sorted(containers) == ["caddy", "zfpm"], "the pod runs caddy and zfpm")
caddy, zfpm = containers["caddy"], containers["zfpm"]

# --- labels, names, volumes -----------------------------------------------------------------
selector = deployment["spec"]["selector"]["matchLabels"]
check(all(labels.get(k) == v for k, v in selector.items()), "the Deployment selects its pods")
check(all(labels.get(k) == v for k, v in service["spec"]["selector"].items()),
      "the Service selects the Deployment's pods")
target = hpa["spec"]["scaleTargetRef"]
check((target["apiVersion"], target["kind"], target["name"]) ==
      (deployment["apiVersion"], "Deployment", deployment["metadata"]["name"]),
      "the HorizontalPodAutoscaler scales the Deployment")
volumes = {v["name"]: v for v in pod["volumes"]}
for c in list(containers.values()) + list(inits.values()):
    for m in c.get("volumeMounts", []):
        check(m["name"] in volumes, f"{c['name']} mounts volume {m['name']}, which the pod has")
for name, v in volumes.items():
    if "configMap" in v:
        check(v["configMap"]["name"] in configmaps,
              f"volume {name} is ConfigMap {v['configMap']['name']}, which kustomize made")


def mount(container, volume):
    found = [m for m in container.get("volumeMounts", []) if m["name"] == volume]
    check(len(found) == 1, f"{container['name']} mounts {volume} once")
    return found[0]


def configmap_data(volume):
    return configmaps[volumes[volume]["configMap"]["name"]]["data"]


# --- the zfpm configuration the pod runs: the image's pool files, then the ConfigMap's ------
dockerfile = read("deploy/docker/Dockerfile")
pool_dir = "/usr/local/etc/php-fpm.d"
check(f"COPY deploy/docker/php-fpm.d/ {pool_dir}/" in dockerfile,
      f"the image's pool files are in {pool_dir}")
pool_mount = mount(zfpm, "zfpm-pool")
pool_file = os.path.basename(pool_mount["mountPath"])
check(os.path.dirname(pool_mount["mountPath"]) == pool_dir and
      pool_mount.get("subPath") == pool_file and pool_file in configmap_data("zfpm-pool"),
      f"the ConfigMap's {pool_file} is mounted in {pool_dir}")
image_pool_files = {os.path.basename(p): read(os.path.relpath(p, root))
                    for p in glob.glob(os.path.join(root, "deploy/docker/php-fpm.d/*.conf"))}
# www.conf is the install's (config/pool.d/www.conf), its listen line commented by the Dockerfile.
www = re.sub(r"(?m)^listen = ", ";listen = ", read("config/pool.d/www.conf"))
image_pool_files["www.conf"] = www
check(all(pool_file > name for name in image_pool_files),
      f"{pool_file} is read after {', '.join(sorted(image_pool_files))} (php-fpm.conf's include)")
settings = {}
for name in sorted(image_pool_files) + [pool_file]:
    text = image_pool_files.get(name) or configmap_data("zfpm-pool")[name]
    for line in text.splitlines():
        m = re.match(r"^\s*([a-z_.]+)\s*=\s*(.*?)\s*$", line)
        if m:
            settings[m.group(1)] = m.group(2)
listen, ping_path = settings.get("listen"), settings.get("ping.path")
status_path = settings.get("pm.status_path")
pct = settings.get("process_control_timeout", "0")
check(listen == "127.0.0.1:9000", f"zfpm listens on {listen} (the pod's loopback)")
check(ping_path and status_path, f"ping.path {ping_path}, pm.status_path {status_path}")
m = re.fullmatch(r"(\d+)s?", pct)
check(m is not None, f"process_control_timeout {pct} in seconds")
pct = int(m.group(1))

# --- Caddy: its config file, its ports, the routes the probes and Prometheus use --------------
caddy_cmd = re.search(r'^CMD \[(.*)\]$', read("tests/deploy/caddy/Dockerfile"), re.M).group(1)
config_path = json.loads(f"[{caddy_cmd}]")[json.loads(f"[{caddy_cmd}]").index("--config") + 1]
caddy_mount = mount(caddy, "caddy-config")
check(os.path.dirname(config_path) == caddy_mount["mountPath"] and
      os.path.basename(config_path) in configmap_data("caddy-config"),
      f"the ConfigMap's Caddyfile is caddy:2's {config_path}")
with open(caddy_json_path, encoding="utf-8") as f:
    caddy_config = json.load(f)
servers = {}
for server in caddy_config["apps"]["http"]["servers"].values():
    for address in server["listen"]:
        servers[int(address.rsplit(":", 1)[1])] = server["routes"]
ports = {p["name"]: p["containerPort"] for p in caddy.get("ports", [])}
check(set(ports.values()) == set(servers), f"caddy's containerPorts {sorted(ports.values())} "
      f"are the ports its Caddyfile listens on {sorted(servers)}")


def handlers(routes, path=None):
    """The handlers a request for path reaches in these routes (subroutes flattened)."""
    out = []
    for route in routes:
        matchers = route.get("match", [])
        paths = [p for m in matchers for p in m.get("path", [])]
        if path is not None and paths and path not in paths:
            continue
        for h in route.get("handle", []):
            if h.get("handler") == "subroute":
                out += handlers(h["routes"], path)
            else:
                out.append(h)
    return out


def fastcgi_upstreams(hs):
    return [(u["dial"], h["transport"]["protocol"]) for h in hs
            if h.get("handler") == "reverse_proxy" for u in h.get("upstreams", [])]


def script_names(hs, path):
    """The SCRIPT_NAME Caddy's FastCGI transport sends for path: the path up to the end of its
    first split_path, or "" (the whole path goes to PATH_INFO) without one (fastcgi.go splitPos)."""
    names = []
    for h in hs:
        if h.get("handler") != "reverse_proxy":
            continue
        names.append("")
        for split in h["transport"].get("split_path", []):
            if split.lower() in path.lower():
                names[-1] = path[:path.lower().index(split.lower()) + len(split)]
                break
    return names


def port_of(container, port):
    return port if isinstance(port, int) else {p["name"]: p["containerPort"]
                                               for p in container.get("ports", [])}[port]


app_port = port_of(caddy, service["spec"]["ports"][0]["targetPort"])
app = handlers(servers[app_port])
check(("127.0.0.1:9000", "fastcgi") in fastcgi_upstreams(app) and listen == "127.0.0.1:9000",
      f"the Service's port {app_port} is Caddy's php_fastcgi to zfpm's listen {listen}")
app_root = next(h["root"] for h in app if h.get("handler") == "vars")
check(mount(caddy, "app")["mountPath"] == app_root == "/var/www/html" and
      "WORKDIR /var/www/html" in dockerfile,
      f"Caddy serves the application volume at {app_root}, the image's WORKDIR")
init = inits["app-files"]
check(init["image"] == zfpm["image"] and mount(init, "app")["mountPath"] + "/" in
      " ".join(init["command"]), "the init container copies the zfpm image's /var/www/html")

readiness = caddy["readinessProbe"]["httpGet"]
probe_port = port_of(caddy, readiness["port"])
probe = handlers(servers[probe_port], readiness["path"])
check(fastcgi_upstreams(probe) == [(listen, "fastcgi")] and
      script_names(probe, readiness["path"]) == [ping_path],
      f"readiness: Caddy's :{probe_port}{readiness['path']} is zfpm's ping.path over FastCGI")
liveness = caddy["livenessProbe"]["httpGet"]
alive = handlers(servers[port_of(caddy, liveness["port"])], liveness["path"])
check(alive and alive[0].get("handler") == "static_response" and
      int(alive[0].get("status_code", 200)) == 200,
      f"Caddy's liveness: {liveness['path']} answered by Caddy itself")
healthcheck = read("deploy/docker/zfpm-healthcheck")
hc_address = re.search(r"ZFPM_HEALTHCHECK_ADDRESS:-([^}]*)\}", healthcheck).group(1)
hc_path = re.search(r"ZFPM_HEALTHCHECK_PATH:-([^}]*)\}", healthcheck).group(1)
check(zfpm["livenessProbe"]["exec"]["command"] == ["zfpm-healthcheck"] and
      'CMD ["zfpm-healthcheck"]' in dockerfile and hc_address == listen and hc_path == ping_path,
      f"zfpm's liveness: zfpm-healthcheck (the image's HEALTHCHECK), {hc_address}{hc_path}")

annotations = template["metadata"]["annotations"]
metrics_port, metrics_path = int(annotations["prometheus.io/port"]), annotations["prometheus.io/path"]
metrics = handlers(servers[metrics_port], metrics_path)
rewrite = next((h["uri"] for h in metrics if h.get("handler") == "rewrite"), None)
check(annotations["prometheus.io/scrape"] == "true" and
      rewrite == f"{status_path}?openmetrics" and
      fastcgi_upstreams(metrics) == [(listen, "fastcgi")] and
      script_names(metrics, status_path) == [status_path],
      f"Prometheus: :{metrics_port}{metrics_path} is zfpm's {status_path}?openmetrics")

# --- stopping: signals and durations ------------------------------------------------------------
check(re.search(r"^STOPSIGNAL SIGQUIT$", dockerfile, re.M) is not None and
      "| `SIGQUIT` | graceful stop" in read("docs/process-model.md"),
      "the zfpm image stops with SIGQUIT, zfpm's graceful stop")


def prestop_sleep(container):
    command = container["lifecycle"]["preStop"]["exec"]["command"]
    check(command[0] == "sleep" and len(command) == 2, f"{container['name']}'s preStop sleeps")
    return int(command[1])


caddy_sleep, zfpm_sleep = prestop_sleep(caddy), prestop_sleep(zfpm)
caddy_grace = caddy_config["apps"]["http"].get("grace_period", 0) / 1e9
check(zfpm_sleep >= caddy_sleep + caddy_grace,
      f"zfpm's preStop ({zfpm_sleep} s) outlasts Caddy's ({caddy_sleep} s) and its "
      f"grace_period ({caddy_grace:g} s): zfpm stops after Caddy has sent it everything")
grace = pod["terminationGracePeriodSeconds"]
# After process_control_timeout zfpm's master sends SIGTERM, then SIGKILL a second later.
check(grace >= zfpm_sleep + pct + 2,
      f"terminationGracePeriodSeconds {grace} >= zfpm's preStop {zfpm_sleep} + "
      f"process_control_timeout {pct} + 2")

# --- resources and autoscaling ------------------------------------------------------------------
for c in list(containers.values()) + list(inits.values()):
    requests = c.get("resources", {}).get("requests", {})
    check("cpu" in requests and "memory" in requests, f"{c['name']} requests cpu and memory")
metric = hpa["spec"]["metrics"][0]
check(metric["type"] == "Resource" and metric["resource"]["name"] == "cpu" and
      1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"],
      "the HorizontalPodAutoscaler scales on CPU, which every container requests")
print("kubernetes: every check passed")
