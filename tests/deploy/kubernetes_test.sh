#!/usr/bin/env bash
# deploy/kubernetes: no cluster runs here, so the manifests are rendered (kubectl kustomize) and
# checked against what the repository ships (kubernetes_check.py: paths, ports, signals,
# durations), then their pod is run under Docker as a kubelet would run it: the init container,
# Caddy in zfpm's network namespace with the ConfigMaps' files, each probe as the manifest states
# it, the metrics Prometheus is pointed at, and the stop sequence with a request under way.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"
source "$here/containers.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/zfpm-kubernetes-test.XXXXXX")
trap 'docker_cleanup; rm -rf "$work"' EXIT
command -v kubectl >/dev/null || fail "kubectl not found (scripts/setup installs it)"
command -v caddy >/dev/null || fail "caddy not found (scripts/setup installs it)"

# --- 1. The manifests, rendered and checked ---------------------------------------------------
kubectl kustomize "$deploy_root/deploy/kubernetes" >"$work/rendered.yaml" ||
  fail "kubectl kustomize deploy/kubernetes"
caddy adapt --config "$deploy_root/deploy/kubernetes/Caddyfile" --adapter caddyfile \
  >"$work/caddy.json" 2>"$work/adapt.log" || { cat "$work/adapt.log" >&2; fail "caddy adapt"; }
python3 "$here/kubernetes_check.py" "$deploy_root" "$work/caddy.json" <"$work/rendered.yaml" ||
  fail "the manifests do not match the shipped configuration"

# What the pod runs, read from the rendered manifests.
field() { # python expression over d (the Deployment) and cm (ConfigMap data by generator name)
  python3 - "$work/rendered.yaml" "$1" <<'PY'
import json, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
d = next(x for x in docs if x["kind"] == "Deployment")
cm = {x["metadata"]["name"].rsplit("-", 1)[0]: x["data"] for x in docs if x["kind"] == "ConfigMap"}
pod = d["spec"]["template"]["spec"]
c = {x["name"]: x for x in pod["containers"] + pod["initContainers"]}
v = eval(sys.argv[2])
print(v if isinstance(v, str) else json.dumps(v))
PY
}
field 'cm["zfpm-caddy"]["Caddyfile"]' >"$work/Caddyfile"
field 'cm["zfpm-pool"]["zz-kubernetes.conf"]' >"$work/zz-kubernetes.conf"
mapfile -t init_command < <(field '"\n".join(c["app-files"]["command"])')
mapfile -t zfpm_liveness < <(field '"\n".join(c["zfpm"]["livenessProbe"]["exec"]["command"])')
readiness_path=$(field 'c["caddy"]["readinessProbe"]["httpGet"]["path"]')
liveness_path=$(field 'c["caddy"]["livenessProbe"]["httpGet"]["path"]')
metrics_path=$(field 'd["spec"]["template"]["metadata"]["annotations"]["prometheus.io/path"]')
caddy_sleep=$(field 'c["caddy"]["lifecycle"]["preStop"]["exec"]["command"][1]')
zfpm_sleep=$(field 'c["zfpm"]["lifecycle"]["preStop"]["exec"]["command"][1]')
grace=$(field 'pod["terminationGracePeriodSeconds"]')

# --- 2. The pod under Docker ------------------------------------------------------------------
ensure_docker
base_image
caddy_image
image=$deploy_name-zfpm:kubernetes-test
zfpm_image "$image"
# The application's image, as the manifests expect one: FROM zfpm, the code in /var/www/html.
mkdir -p "$work/appimage/src" "$work/app-volume"
cp -a "$deploy_root/examples/." "$work/appimage/src/"
printf '<?php usleep((int) ($_GET["ms"] ?? 1000) * 1000); echo "slept";\n' \
  >"$work/appimage/src/sleep.php"
printf 'FROM %s\nCOPY src/ /var/www/html/\n' "$image" >"$work/appimage/Dockerfile"
app_image=$deploy_name-zfpm:kubernetes-test-app
cleanup_image "$app_image"
DOCKER_BUILDKIT=1 docker build -q -t "$app_image" "$work/appimage" >/dev/null
chmod -R a+rX "$work"

docker run --rm -v "$work/app-volume:/app" "$app_image" "${init_command[@]}" ||
  fail "the init container's command"
[ -f "$work/app-volume/index.php" ] || fail "the init container copied no application"
say "ok: the init container copied the application into the volume"

http_port=$(free_port)
probe_port=$(free_port)
zfpm_name=$deploy_name-k8s-zfpm
caddy_name=$deploy_name-k8s-caddy
cleanup_container "$caddy_name"
cleanup_container "$zfpm_name"
# zfpm holds the pod's network namespace; Caddy joins it (127.0.0.1 is the pod's loopback).
docker run -d --name "$zfpm_name" -p "127.0.0.1:$http_port:8080" -p "127.0.0.1:$probe_port:8081" \
  -v "$work/zz-kubernetes.conf:/usr/local/etc/php-fpm.d/zz-kubernetes.conf:ro" \
  "$app_image" >/dev/null
docker run -d --name "$caddy_name" --network "container:$zfpm_name" \
  -v "$work/Caddyfile:/etc/caddy/Caddyfile:ro" -v "$work/app-volume:/var/www/html:ro" \
  "$CADDY_IMAGE" >/dev/null
wait_healthy "$zfpm_name"
tries=100
until curl -fsS -o "$work/ready" "http://127.0.0.1:$probe_port$readiness_path"; do
  tries=$((tries - 1))
  [ "$tries" -gt 0 ] || { docker logs "$caddy_name" 2>&1 | tail >&2; fail "readiness probe"; }
  sleep 0.1
done
[ "$(cat "$work/ready")" = pong ] || fail "readiness probe answered '$(cat "$work/ready")'"
say "ok: readiness probe :8081$readiness_path answers pong (zfpm's ping through Caddy)"
curl -fsS "http://127.0.0.1:$probe_port$liveness_path" >/dev/null || fail "Caddy's liveness probe"
say "ok: Caddy's liveness probe :8081$liveness_path"
docker exec "$zfpm_name" "${zfpm_liveness[@]}" || fail "zfpm's liveness probe (${zfpm_liveness[*]})"
say "ok: zfpm's liveness probe: ${zfpm_liveness[*]}"
curl -fsS -D "$work/metrics.headers" "http://127.0.0.1:$probe_port$metrics_path" >"$work/metrics" ||
  fail "metrics"
grep -qi '^content-type: application/openmetrics-text' "$work/metrics.headers" &&
  grep -qx 'phpfpm_up 1' "$work/metrics" && tail -n 1 "$work/metrics" | grep -qx '# EOF' ||
  { cat "$work/metrics.headers" "$work/metrics" >&2; fail "metrics are not zfpm's OpenMetrics"; }
say "ok: Prometheus's :8081$metrics_path is zfpm's OpenMetrics status"
grep -q fpm-fcgi <<<"$(curl -fsS "http://127.0.0.1:$http_port/")" ||
  fail "the demo through the pod's :8080"
say "ok: the application through Caddy's :8080"
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$zfpm_name")
if (exec 3<>"/dev/tcp/$ip/9000") 2>/dev/null; then fail "zfpm answers on the pod's address $ip:9000"; fi
say "ok: zfpm is not reachable from outside the pod ($ip:9000 refused)"

# --- 3. Stopping the pod, as the kubelet does it -------------------------------------------------
# A request that lasts through Caddy's preStop, another sent during it: both are answered.
curl -fsS -o "$work/slow1" "http://127.0.0.1:$http_port/sleep.php?ms=$(((caddy_sleep + 1) * 1000))" &
slow1=$!
started=$SECONDS
(docker exec "$caddy_name" sleep "$caddy_sleep" && docker kill -s TERM "$caddy_name" >/dev/null) &
caddy_stop=$!
# The image's STOPSIGNAL (SIGQUIT) after zfpm's preStop, as docker stop sends it.
(docker exec "$zfpm_name" sleep "$zfpm_sleep" && docker stop -t "$grace" "$zfpm_name" >/dev/null) &
zfpm_stop=$!
sleep 1
curl -fsS -o "$work/slow2" "http://127.0.0.1:$http_port/sleep.php?ms=2000" || fail "a request during Caddy's preStop"
wait "$slow1" || fail "the request under way when the pod stopped"
grep -qx slept "$work/slow1" && grep -qx slept "$work/slow2" || fail "the requests during the stop"
wait "$caddy_stop" || fail "stopping Caddy"
wait "$zfpm_stop" || fail "stopping zfpm"
elapsed=$((SECONDS - started))
for name in "$caddy_name" "$zfpm_name"; do
  code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
  [ "$code" = 0 ] || { docker logs --tail 20 "$name" >&2; fail "$name exited with $code"; }
done
grep -q 'exiting, bye-bye!' <<<"$(docker logs "$zfpm_name" 2>&1)" || fail "zfpm did not log its exit"
[ "$elapsed" -le "$grace" ] || fail "the pod took $elapsed s to stop, more than its grace period $grace s"
say "ok: the pod stopped in $elapsed s (grace period $grace s), both requests answered, both containers exited 0"
say "PASSED"
