"""cgroups.py - real cgroups for the attribution tests (issue 19): made under the machine's
name=systemd hierarchy (cgroup v1, as on RHEL 7) or its unified one (v2), in the layouts that
systemd, Docker, containerd and the kubelet make, with a task moved into them before it works.

    cg = Cgroup("v1", SERVICE)          # /emtest-<id>.slice/emtest-<id>.service
    w = Workload(name, "getppid", n)    # harness.Workload: waits for "go"
    cg.add(w.pid); w.run()
    ... rows carry cg.path, cg.unit, cg.container_id, cg.pod_uid
    cg.remove()

The layouts, each a function of a fresh id so that tests never meet each other's rows:
SERVICE (a systemd service), DOCKER (docker's systemd driver: docker-<64 hex>.scope),
KUBEPODS_SYSTEMD (the kubelet's systemd driver, containerd), KUBEPODS_CGROUPFS (the cgroupfs
driver, CRI-O)."""
import os
import secrets
import time
import uuid

ROOTS = {"v1": "/sys/fs/cgroup/systemd", "v2": "/sys/fs/cgroup/unified"}
# the config's attribution.hierarchy that reads each
HIERARCHY = {"v1": "systemd", "v2": "unified"}


def available(kind):
    """Why the hierarchy cannot be used here, or None."""
    root = ROOTS[kind]
    if not os.path.exists(os.path.join(root, "cgroup.procs")):
        return f"{root} is not a mounted cgroup hierarchy"
    return None


def SERVICE(tag):
    return {"path": f"/emtest-{tag}.slice/emtest-{tag}.service", "unit": f"emtest-{tag}.service",
            "container_id": "", "pod_uid": ""}


def DOCKER(tag):
    cid = secrets.token_hex(32)
    return {"path": f"/emtest-{tag}.slice/docker-{cid}.scope", "unit": f"docker-{cid}.scope",
            "container_id": cid, "pod_uid": ""}


def KUBEPODS_SYSTEMD(tag):
    cid, uid = secrets.token_hex(32), str(uuid.uuid4())
    u = uid.replace("-", "_")
    return {"path": f"/emtest-{tag}.slice/kubepods-burstable.slice/"
                    f"kubepods-burstable-pod{u}.slice/cri-containerd-{cid}.scope",
            "unit": f"cri-containerd-{cid}.scope", "container_id": cid, "pod_uid": uid}


def KUBEPODS_CGROUPFS(tag):
    cid, uid = secrets.token_hex(32), str(uuid.uuid4())
    return {"path": f"/emtest-{tag}/kubepods/besteffort/pod{uid}/{cid}", "unit": "",
            "container_id": cid, "pod_uid": uid}


LAYOUTS = [SERVICE, DOCKER, KUBEPODS_SYSTEMD, KUBEPODS_CGROUPFS]


class Cgroup:
    """A cgroup made for a test; remove() moves what is left in it back to the root and
    deletes it with its parents up to the test's own top directory."""

    def __init__(self, kind, layout, tag=None):
        self.kind = kind
        self.root = ROOTS[kind]
        self.tag = tag or uuid.uuid4().hex[:8]
        spec = layout(self.tag)
        self.path = spec["path"]
        self.unit = spec["unit"]
        self.container_id = spec["container_id"]
        self.pod_uid = spec["pod_uid"]
        self.dir = self.root + self.path
        os.makedirs(self.dir)

    def add(self, pid):
        with open(os.path.join(self.dir, "cgroup.procs"), "w") as f:
            f.write(f"{pid}\n")

    def expect(self):
        """The attribution columns of rows made in this cgroup."""
        return {"cgroup": self.path, "unit": self.unit, "container_id": self.container_id,
                "pod_uid": self.pod_uid}

    def remove(self):
        top = self.root + "/" + self.path.split("/")[1]
        for cur, dirs, _ in sorted(os.walk(top, topdown=False), key=lambda t: -len(t[0])):
            try:
                with open(os.path.join(cur, "cgroup.procs")) as f:
                    pids = f.read().split()
            except OSError:
                pids = []
            for p in pids:
                try:
                    with open(os.path.join(self.root, "cgroup.procs"), "w") as f:
                        f.write(p + "\n")
                except OSError:
                    pass
            for _ in range(50):
                try:
                    os.rmdir(cur)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)  # a task that just exited leaves a moment later


def attribution_yaml(kind, columns=None):
    cols = "" if columns is None else f"  columns: [{', '.join(columns)}]\n"
    return f"attribution:\n  enabled: true\n  hierarchy: {HIERARCHY[kind]}\n{cols}"


def attrib_of(row):
    return {k: row.get(k) for k in ("cgroup", "unit", "container_id", "pod_uid")}
