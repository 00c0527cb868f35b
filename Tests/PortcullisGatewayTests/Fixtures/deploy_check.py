"""Checks of deploy/ that need YAML, JSON or dpkg, run by DeployTests.swift (Python of .build/test-python).

    deploy_check.py kubernetes RENDERED.yaml PROMETHEUS_DIR   # the Operator kinds kubernetes-validate skips, and the pod spec
    deploy_check.py dashboard DASHBOARD.json README.md        # every panel's PromQL through promtool; metric names documented
    deploy_check.py image DOCKERFILE BINARY                   # the binary's shared libraries come with the runtime image

Prints what is wrong and exits 1, or exits 0.
"""
import json, os, re, subprocess, sys, tempfile

import yaml

problems = []


def problem(text):
    problems.append(text)


def promtool_check_rules(groups):
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": groups}, f)
    result = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True, text=True)
    os.unlink(f.name)
    if result.returncode != 0:
        problem("promtool check rules: " + result.stdout + result.stderr)


def kubernetes(rendered, prometheus_dir):
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    kinds = {d["kind"]: d for d in docs}
    for kind in ["Namespace", "ServiceAccount", "Deployment", "Service", "ConfigMap", "Secret", "HorizontalPodAutoscaler",
                 "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule"]:
        if kind not in kinds:
            problem(f"no {kind} in the rendered base")
    if problems:
        return
    service, monitor, rule, deployment = kinds["Service"], kinds["ServiceMonitor"], kinds["PrometheusRule"], kinds["Deployment"]

    # ServiceMonitor: selects the Service, scrapes its metrics port at /metrics.
    if monitor["apiVersion"] != "monitoring.coreos.com/v1":
        problem("ServiceMonitor apiVersion is not monitoring.coreos.com/v1")
    selector = monitor["spec"]["selector"]["matchLabels"]
    labels = service["metadata"].get("labels", {})
    if not selector or any(labels.get(k) != v for k, v in selector.items()):
        problem(f"ServiceMonitor selector {selector} does not select the Service (labels {labels})")
    port_names = {p["name"] for p in service["spec"]["ports"]}
    for endpoint in monitor["spec"]["endpoints"]:
        if endpoint.get("port") not in port_names:
            problem(f"ServiceMonitor endpoint port {endpoint.get('port')} is not a Service port ({port_names})")
        if endpoint.get("path") != "/metrics":
            problem("ServiceMonitor endpoint path is not /metrics")
    if set(monitor["spec"].keys()) - {"selector", "endpoints", "namespaceSelector", "jobLabel"}:
        problem(f"ServiceMonitor spec has unexpected fields {sorted(monitor['spec'].keys())}")

    # PrometheusRule: exactly the rules of deploy/prometheus, which promtool checks and tests.
    if rule["apiVersion"] != "monitoring.coreos.com/v1":
        problem("PrometheusRule apiVersion is not monitoring.coreos.com/v1")
    expected = []
    for name in ["recording.yml", "alerts.yml"]:
        expected += yaml.safe_load(open(os.path.join(prometheus_dir, name)))["groups"]
    if rule["spec"]["groups"] != expected:
        problem("PrometheusRule groups differ from deploy/prometheus/recording.yml + alerts.yml")
    promtool_check_rules(rule["spec"]["groups"])

    # The pod: probes on the metrics listener, locked down, config mounted as a directory, a grace
    # period longer than the preStop pause and the drain together.
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    if container["livenessProbe"]["httpGet"]["path"] != "/livez" or container["readinessProbe"]["httpGet"]["path"] != "/readyz":
        problem("probes are not /livez and /readyz")
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    if container["readinessProbe"]["httpGet"]["port"] != "metrics" or ports.get("metrics") != 9797:
        problem("the readiness probe does not ask the metrics listener")
    context = container["securityContext"]
    if not (pod["securityContext"].get("runAsNonRoot") and context.get("readOnlyRootFilesystem")
            and context.get("allowPrivilegeEscalation") is False and context.get("capabilities", {}).get("drop") == ["ALL"]):
        problem(f"the container is not locked down: {pod['securityContext']} {context}")
    if any("subPath" in mount for mount in container["volumeMounts"]):
        problem("a volume is mounted with subPath: Kubernetes never updates those, so --watch cannot reload")
    if "--watch" not in container["args"]:
        problem("the container does not run serve --watch")
    config_text = list(kinds["ConfigMap"]["data"].values())[0]
    drain = float(re.search(r"shutdownTimeoutSeconds\s*=\s*([0-9.]+)", config_text).group(1))
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    if pod["terminationGracePeriodSeconds"] <= drain + pause:
        problem(f"terminationGracePeriodSeconds {pod['terminationGracePeriodSeconds']} is not above the drain ({drain}) and the pause ({pause})")
    if container["resources"]["limits"].get("memory") is None or container["resources"]["requests"].get("cpu") is None:
        problem("resources lack a memory limit or a cpu request")


def dashboard(path, readme):
    board = json.load(open(path))
    documented = set(re.findall(r"portcullis_[a-z_]+", open(readme).read()))
    groups = [{"name": "dashboard", "rules": []}]
    count = 0
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            count += 1
            concrete = expr.replace("$job", ".+").replace("$__rate_interval", "5m").replace("$__range", "1h")
            groups[0]["rules"].append({"record": f"dashboard:panel_{panel['id']}_{target['refId'].lower()}", "expr": concrete})
            for name in re.findall(r"\bportcullis_[a-z_]+", expr):
                base = re.sub(r"_(bucket|sum|count)$", "", name)
                if base not in documented:
                    problem(f"panel '{panel['title']}' uses {name}, which README.md does not document")
    if count < 10:
        problem(f"only {count} panel queries")
    promtool_check_rules(groups)


def image(dockerfile, binary):
    stages = open(dockerfile).read().split("\nFROM ")
    runtime = stages[-1]
    if not runtime.startswith("debian:bookworm-slim"):
        problem("the runtime stage is not debian:bookworm-slim")
    installed = set()
    for command in re.findall(r"apt-get install ([^&\n\\]+(?:\\\n[^&\n\\]+)*)", runtime):
        installed |= {w for w in command.split() if not w.startswith("-") and w != "\\"}
    # What debian:bookworm-slim holds: its required packages.
    listing = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority}\n"], capture_output=True, text=True).stdout
    base = {line.split()[0] for line in listing.splitlines() if line.endswith(" required")}

    def closure(packages):
        seen, todo = set(), list(packages)
        while todo:
            package = todo.pop()
            if package in seen:
                continue
            seen.add(package)
            depends = subprocess.run(["dpkg-query", "-W", "-f", "${Depends},${Pre-Depends}", package], capture_output=True, text=True).stdout
            for alternative in depends.split(","):
                name = alternative.split("|")[0].strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
        return seen

    available = closure(installed | base)
    libraries = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    for line in libraries.splitlines():
        match = re.search(r"=> (/\S+)", line)
        if not match:
            continue
        library = os.path.realpath(match.group(1))
        name = os.path.basename(library)
        # The Swift runtime is linked statically into the image's binary (--static-swift-stdlib).
        if re.match(r"lib(swift|Foundation|_Foundation|dispatch|BlocksRuntime)", name) or "/swift" in library:
            continue
        owner = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True).stdout.split(":")[0]
        if not owner:
            owner = subprocess.run(["dpkg", "-S", match.group(1)], capture_output=True, text=True).stdout.split(":")[0]
        if not owner:
            problem(f"{name}: no package owns it")
        elif owner not in available:
            problem(f"{name} comes from {owner}, which the runtime image does not install")


if __name__ == "__main__":
    command, arguments = sys.argv[1], sys.argv[2:]
    {"kubernetes": kubernetes, "dashboard": dashboard, "image": image}[command](*arguments)
    for text in problems:
        print(text)
    sys.exit(1 if problems else 0)
