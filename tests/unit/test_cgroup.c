/* test_cgroup.c - a task's cgroup from /proc/<pid>/cgroup texts as real hosts write them (RHEL 7's
 * v1 with name=systemd, hybrid, pure v2; Docker, containerd, CRI-O, Podman and the kubelet with
 * the systemd and cgroupfs drivers), the unit, container and pod each path names, and the
 * units/containers/cgroups filters. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cgroup.h"
#include "core/config.h"
#include "testutil.h"

/* IDs as the runtimes write them: 64 lowercase hex digits; pod UIDs 8-4-4-4-12 */
#define ID_A "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define ID_B "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define ID_C "2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
#define POD "3c9f8e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6"
#define POD_ "3c9f8e4a_1b2c_4d5e_8f90_a1b2c3d4e5f6"   /* as systemd's slice names carry it */
#define STATIC_POD "a226e9fbdfc1c8dd7e7fef4d333f86ed" /* a static pod: md5 of its manifest */

/* RHEL/CentOS 7 (3.10, v1): systemd's named hierarchy, and the controllers systemd manages for a
 * service (cpu, memory, blkio, devices, pids) at the same path; no unified line. */
#define RHEL7(p)                                                                                 \
	"11:cpuset:/\n10:blkio:" p "\n9:hugetlb:/\n8:perf_event:/\n7:memory:" p "\n6:devices:" p \
	"\n5:freezer:/\n4:net_prio,net_cls:/\n3:pids:" p "\n2:cpuacct,cpu:" p                    \
	"\n1:name=systemd:" p "\n"
/* A container on v1: every controller at the container's path (runc joins them all). */
#define V1_ALL(p)                                                                           \
	"12:hugetlb:" p "\n11:cpuset:" p "\n10:net_cls,net_prio:" p "\n9:memory:" p         \
	"\n8:freezer:" p "\n7:perf_event:" p "\n6:devices:" p "\n5:blkio:" p "\n4:rdma:/\n" \
	"3:cpu,cpuacct:" p "\n2:pids:" p "\n1:name=systemd:" p "\n"
/* Hybrid (Ubuntu 18.04-21.04, Debian 10, RHEL 8 by default): v1 controllers, systemd's named
 * hierarchy, and the unified one mounted beside them, where systemd mirrors its tree. */
#define HYBRID(p) V1_ALL(p) "0::" p "\n"
/* Pure v2 (RHEL 9, Fedora 31+, Ubuntu 21.10+, Debian 11+): one line. */
#define V2(p) "0::" p "\n"

struct proc_case {
	const char *what;
	const char *text;
	const char *path; /* CG_AUTO's */
	const char *unit, *id, *pod;
};

static const struct proc_case cases[] = {
	/* systemd services and sessions */
	{ "RHEL 7 service", RHEL7("/system.slice/nginx.service"), "/system.slice/nginx.service",
	  "nginx.service", "", "" },
	{ "RHEL 7 session", RHEL7("/user.slice/user-1000.slice/session-3.scope"),
	  "/user.slice/user-1000.slice/session-3.scope", "session-3.scope", "", "" },
	{ "hybrid service", HYBRID("/system.slice/sshd.service"), "/system.slice/sshd.service",
	  "sshd.service", "", "" },
	{ "v2 service below its unit", V2("/system.slice/foo.service/worker"),
	  "/system.slice/foo.service/worker", "foo.service", "", "" },
	{ "v2 template instance", V2("/system.slice/system-getty.slice/getty@tty1.service"),
	  "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service", "", "" },
	{ "v2 user app", V2("/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.scope"),
	  "/user.slice/user-1000.slice/user@1000.service/app.slice/app-x.scope", "app-x.scope", "",
	  "" },
	{ "v2 user manager", V2("/user.slice/user-1000.slice/user@1000.service/init.scope"),
	  "/user.slice/user-1000.slice/user@1000.service/init.scope", "init.scope", "", "" },
	{ "v2 pid 1", V2("/init.scope"), "/init.scope", "init.scope", "", "" },
	{ "v2 root (kernel threads)", V2("/"), "/", "", "", "" },
	{ "RHEL 7 root", RHEL7("/"), "/", "", "", "" },
	{ "v2 slice only", V2("/system.slice"), "/system.slice", "", "", "" },

	/* Docker */
	{ "docker cgroupfs v1", V1_ALL("/docker/" ID_A), "/docker/" ID_A, "", ID_A, "" },
	{ "docker systemd RHEL 7", RHEL7("/system.slice/docker-" ID_A ".scope"),
	  "/system.slice/docker-" ID_A ".scope", "docker-" ID_A ".scope", ID_A, "" },
	{ "docker systemd v2", V2("/system.slice/docker-" ID_B ".scope"),
	  "/system.slice/docker-" ID_B ".scope", "docker-" ID_B ".scope", ID_B, "" },
	{ "docker cgroupfs v2", V2("/docker/" ID_B), "/docker/" ID_B, "", ID_B, "" },
	{ "docker daemon", V2("/system.slice/docker.service"), "/system.slice/docker.service",
	  "docker.service", "", "" },
	{ "docker in docker, cgroupfs", V1_ALL("/docker/" ID_A "/docker/" ID_B),
	  "/docker/" ID_A "/docker/" ID_B, "", ID_B, "" },
	{ "docker in docker, systemd outside",
	  V2("/system.slice/docker-" ID_A ".scope/docker/" ID_B),
	  "/system.slice/docker-" ID_A ".scope/docker/" ID_B, "docker-" ID_A ".scope", ID_B, "" },

	/* Kubernetes: containerd, systemd driver */
	{ "k8s containerd systemd burstable v1",
	  V1_ALL("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
		 ".slice/cri-containerd-" ID_A ".scope"),
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
	  ".slice/cri-containerd-" ID_A ".scope",
	  "cri-containerd-" ID_A ".scope", ID_A, POD },
	{ "k8s containerd systemd besteffort v2",
	  V2("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	     ".slice/cri-containerd-" ID_B ".scope"),
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	  ".slice/cri-containerd-" ID_B ".scope",
	  "cri-containerd-" ID_B ".scope", ID_B, POD },
	{ "k8s containerd systemd guaranteed v2",
	  V2("/kubepods.slice/kubepods-pod" POD_ ".slice/cri-containerd-" ID_C ".scope"),
	  "/kubepods.slice/kubepods-pod" POD_ ".slice/cri-containerd-" ID_C ".scope",
	  "cri-containerd-" ID_C ".scope", ID_C, POD },
	{ "k8s pod slice itself",
	  V2("/kubepods.slice/kubepods-burstable.slice/"
	     "kubepods-burstable-pod" POD_ ".slice"),
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_ ".slice", "", "",
	  POD },
	{ "k8s qos slice", V2("/kubepods.slice/kubepods-burstable.slice"),
	  "/kubepods.slice/kubepods-burstable.slice", "", "", "" },
	{ "k8s docker systemd",
	  RHEL7("/kubepods.slice/kubepods-burstable.slice/"
		"kubepods-burstable-pod" POD_ ".slice/docker-" ID_A ".scope"),
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
	  ".slice/docker-" ID_A ".scope",
	  "docker-" ID_A ".scope", ID_A, POD },

	/* Kubernetes: containerd, cgroupfs driver (k3s, kubeadm before 1.22) */
	{ "k8s cgroupfs burstable v1", V1_ALL("/kubepods/burstable/pod" POD "/" ID_A),
	  "/kubepods/burstable/pod" POD "/" ID_A, "", ID_A, POD },
	{ "k8s cgroupfs besteffort v1", V1_ALL("/kubepods/besteffort/pod" POD "/" ID_B),
	  "/kubepods/besteffort/pod" POD "/" ID_B, "", ID_B, POD },
	{ "k8s cgroupfs guaranteed v2", V2("/kubepods/pod" POD "/" ID_C),
	  "/kubepods/pod" POD "/" ID_C, "", ID_C, POD },
	{ "k8s cgroupfs static pod", V2("/kubepods/burstable/pod" STATIC_POD "/" ID_A),
	  "/kubepods/burstable/pod" STATIC_POD "/" ID_A, "", ID_A, STATIC_POD },
	{ "k8s systemd static pod",
	  V2("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_POD
	     ".slice/cri-containerd-" ID_A ".scope"),
	  "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" STATIC_POD
	  ".slice/cri-containerd-" ID_A ".scope",
	  "cri-containerd-" ID_A ".scope", ID_A, STATIC_POD },

	/* CRI-O: the container, and conmon (its monitor) beside it in the pod */
	{ "crio systemd v2",
	  V2("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	     ".slice/crio-" ID_A ".scope"),
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	  ".slice/crio-" ID_A ".scope",
	  "crio-" ID_A ".scope", ID_A, POD },
	{ "crio conmon systemd v2",
	  V2("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	     ".slice/crio-conmon-" ID_A ".scope"),
	  "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
	  ".slice/crio-conmon-" ID_A ".scope",
	  "crio-conmon-" ID_A ".scope", "", POD },
	{ "crio cgroupfs v1", V1_ALL("/kubepods/burstable/pod" POD "/crio-" ID_B),
	  "/kubepods/burstable/pod" POD "/crio-" ID_B, "", ID_B, POD },
	{ "crio conmon cgroupfs v1", V1_ALL("/kubepods/burstable/pod" POD "/crio-conmon-" ID_B),
	  "/kubepods/burstable/pod" POD "/crio-conmon-" ID_B, "", "", POD },
	{ "crio guaranteed systemd v1",
	  RHEL7("/kubepods.slice/kubepods-pod" POD_ ".slice/crio-" ID_C ".scope"),
	  "/kubepods.slice/kubepods-pod" POD_ ".slice/crio-" ID_C ".scope", "crio-" ID_C ".scope",
	  ID_C, POD },

	/* Podman: rootful and rootless (the payload one level down, in "container"), cgroupfs */
	{ "podman rootful v2", V2("/machine.slice/libpod-" ID_A ".scope/container"),
	  "/machine.slice/libpod-" ID_A ".scope/container", "libpod-" ID_A ".scope", ID_A, "" },
	{ "podman rootful v2 older", V2("/machine.slice/libpod-" ID_A ".scope"),
	  "/machine.slice/libpod-" ID_A ".scope", "libpod-" ID_A ".scope", ID_A, "" },
	{ "podman conmon", V2("/machine.slice/libpod-conmon-" ID_A ".scope"),
	  "/machine.slice/libpod-conmon-" ID_A ".scope", "libpod-conmon-" ID_A ".scope", "", "" },
	{ "podman rootless",
	  V2("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B
	     ".scope/container"),
	  "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_B
	  ".scope/container",
	  "libpod-" ID_B ".scope", ID_B, "" },
	{ "podman cgroupfs v1", V1_ALL("/libpod_parent/libpod-" ID_C),
	  "/libpod_parent/libpod-" ID_C, "", ID_C, "" },
	{ "podman cgroupfs conmon", V1_ALL("/libpod_parent/conmon"), "/libpod_parent/conmon", "",
	  "", "" },

	/* kind: a Kubernetes node that is itself a Docker container */
	{ "kind",
	  V2("/system.slice/docker-" ID_A ".scope/kubelet.slice/kubelet-kubepods.slice/"
	     "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" POD_
	     ".slice/cri-containerd-" ID_B ".scope"),
	  "/system.slice/docker-" ID_A ".scope/kubelet.slice/kubelet-kubepods.slice/"
	  "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" POD_
	  ".slice/cri-containerd-" ID_B ".scope",
	  "cri-containerd-" ID_B ".scope", ID_B, POD },
	{ "kind cgroupfs", V1_ALL("/docker/" ID_A "/kubepods/burstable/pod" POD "/" ID_B),
	  "/docker/" ID_A "/kubepods/burstable/pod" POD "/" ID_B, "", ID_B, POD },

	/* looks like, is not */
	{ "63 hex digits", V2("/docker/" ID_A "0"), "/docker/" ID_A "0", "", "", "" },
	{ "upper-case id",
	  V2("/docker/CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB"),
	  "/docker/CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB", "", "", "" },
	{ "unknown runtime prefix", V2("/system.slice/rkt-" ID_A ".scope"),
	  "/system.slice/rkt-" ID_A ".scope", "rkt-" ID_A ".scope", "", "" },
	{ "pod outside kubepods", V2("/foo/pod" POD "/x"), "/foo/pod" POD "/x", "", "", "" },
	{ "not a pod uid", V2("/kubepods/burstable/pod1234/" ID_A),
	  "/kubepods/burstable/pod1234/" ID_A, "", ID_A, "" },
	{ "pod slice outside kubepods", V2("/x.slice/x-pod" POD_ ".slice"),
	  "/x.slice/x-pod" POD_ ".slice", "", "", "" },
	{ "bare suffixes", V2("/.service/.scope"), "/.service/.scope", "", "", "" },
};

START_TEST(test_real_hosts)
{
	const struct proc_case *c = &cases[_i];
	struct cg_attr a;
	char path[1024];

	ck_assert_msg(cg_path_from_proc(c->text, CG_AUTO, path, sizeof(path)) == 0, "%s", c->what);
	ck_assert_str_eq(path, c->path);
	memset(&a, 'x', sizeof(a)); /* every field written */
	cg_describe(path, &a);
	ck_assert_msg(!strcmp(a.unit, c->unit), "%s: unit '%s', want '%s'", c->what, a.unit,
		      c->unit);
	ck_assert_msg(!strcmp(a.container_id, c->id), "%s: container_id '%s', want '%s'", c->what,
		      a.container_id, c->id);
	ck_assert_msg(!strcmp(a.pod_uid, c->pod), "%s: pod_uid '%s', want '%s'", c->what, a.pod_uid,
		      c->pod);
}
END_TEST

START_TEST(test_hierarchy_choice)
{
	/* the two differ where a v1 manager (runc's cgroupfs driver) left the unified one alone */
	const char *hybrid = "5:memory:/docker/" ID_A "\n1:name=systemd:/docker/" ID_A
			     "\n0::/system.slice/containerd.service\n";
	char out[256];

	ck_assert_int_eq(cg_path_from_proc(hybrid, CG_AUTO, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/docker/" ID_A);
	ck_assert_int_eq(cg_path_from_proc(hybrid, CG_SYSTEMD, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/docker/" ID_A);
	ck_assert_int_eq(cg_path_from_proc(hybrid, CG_UNIFIED, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/system.slice/containerd.service");

	/* RHEL 7 has no unified line; pure v2 no name=systemd */
	strcpy(out, "untouched");
	ck_assert_int_eq(cg_path_from_proc(RHEL7("/system.slice/a.service"), CG_UNIFIED, out,
					   sizeof(out)),
			 -ENOENT);
	ck_assert_str_eq(out, "untouched");
	ck_assert_int_eq(cg_path_from_proc(V2("/system.slice/a.service"), CG_SYSTEMD, out,
					   sizeof(out)),
			 -ENOENT);
	ck_assert_str_eq(out, "untouched");
	ck_assert_int_eq(
		cg_path_from_proc(V2("/system.slice/a.service"), CG_UNIFIED, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/system.slice/a.service");
	/* v1 without systemd (OpenRC, a container's own view): nothing to take */
	ck_assert_int_eq(cg_path_from_proc("3:cpu,cpuacct:/x\n2:memory:/x\n", CG_AUTO, out,
					   sizeof(out)),
			 -ENOENT);
	ck_assert_int_eq(cg_path_from_proc("", CG_AUTO, out, sizeof(out)), -ENOENT);

	/* name=systemd may share its hierarchy; a longer name is another hierarchy */
	ck_assert_int_eq(cg_path_from_proc("2:name=systemd2:/no\n1:cpu,name=systemd:/yes\n",
					   CG_SYSTEMD, out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "/yes");
	ck_assert_int_eq(cg_path_from_proc("1:name=systemdx:/no\n", CG_SYSTEMD, out, sizeof(out)),
			 -ENOENT);
	/* the unified line is hierarchy 0 with no controllers; a named one is not it */
	ck_assert_int_eq(cg_path_from_proc("0:name=x:/no\n10::/no\n", CG_UNIFIED, out, sizeof(out)),
			 -ENOENT);
}
END_TEST

/* The hierarchy ID of the line each choice takes: what cgroup_attach_task calls dst_root. */
START_TEST(test_hierarchy_id)
{
	static const char hybrid[] = "12:pids:/user.slice\n"
				     "3:cpu,cpuacct:/\n"
				     "1:name=systemd:/user.slice/session-3.scope\n"
				     "0::/user.slice/session-3.scope\n";
	static const char v1[] = "9:name=systemd:/\n4:memory:/x\n";

	ck_assert_int_eq(cg_hierarchy_id(hybrid, CG_AUTO), 1);
	ck_assert_int_eq(cg_hierarchy_id(hybrid, CG_SYSTEMD), 1);
	ck_assert_int_eq(cg_hierarchy_id(hybrid, CG_UNIFIED), 0);
	ck_assert_int_eq(cg_hierarchy_id(v1, CG_AUTO), 9);
	ck_assert_int_eq(cg_hierarchy_id(v1, CG_UNIFIED), -ENOENT);
	ck_assert_int_eq(cg_hierarchy_id("0::/\n", CG_AUTO), 0);
	ck_assert_int_eq(cg_hierarchy_id("0::/\n", CG_SYSTEMD), -ENOENT);
	ck_assert_int_eq(cg_hierarchy_id(NULL, CG_AUTO), -EINVAL);
	ck_assert_int_ge(cg_read_hierarchy_id("/proc/self/cgroup", CG_AUTO), 0);
	ck_assert_int_eq(cg_read_hierarchy_id("/proc/0/cgroup", CG_AUTO), -ESRCH);
}
END_TEST

START_TEST(test_path_text)
{
	char out[64], small[8];

	/* a path may hold ':' (everything after the second one is the path) */
	ck_assert_int_eq(
		cg_path_from_proc("0::/system.slice/a:b.service\n", CG_AUTO, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/system.slice/a:b.service");
	ck_assert_int_eq(cg_path_from_proc("1:name=systemd:/x:y:z\n", CG_AUTO, out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "/x:y:z");
	/* a removed cgroup (v2 reports it so), and no newline at the end */
	ck_assert_int_eq(cg_path_from_proc("0::/system.slice/gone.service (deleted)\n", CG_AUTO,
					   out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "/system.slice/gone.service");
	ck_assert_int_eq(cg_path_from_proc("0::/x (deleted)", CG_AUTO, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/x");
	ck_assert_int_eq(cg_path_from_proc("0::/a", CG_AUTO, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/a");
	/* lines that are not "ID:controllers:path" are skipped */
	ck_assert_int_eq(cg_path_from_proc("garbage\n\nx:name=systemd:/no\n:name=systemd:/no\n"
					   "1:name=systemd\n1:name=systemd:\n1:name=systemd:/ok\n",
					   CG_AUTO, out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "/ok");
	/* the first line of its hierarchy wins */
	ck_assert_int_eq(cg_path_from_proc("0::/first\n0::/second\n", CG_AUTO, out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "/first");

	/* fits with its NUL, or -ENAMETOOLONG with out untouched */
	ck_assert_int_eq(cg_path_from_proc("0::/abcdef\n", CG_AUTO, small, sizeof(small)), 0);
	ck_assert_str_eq(small, "/abcdef");
	strcpy(small, "keep");
	ck_assert_int_eq(cg_path_from_proc("0::/abcdefg\n", CG_AUTO, small, sizeof(small)),
			 -ENAMETOOLONG);
	ck_assert_str_eq(small, "keep");
	ck_assert_int_eq(cg_path_from_proc("0::/\n", CG_AUTO, small, 0), -ENAMETOOLONG);
	ck_assert_int_eq(cg_path_from_proc(NULL, CG_AUTO, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cg_path_from_proc("0::/\n", CG_AUTO, NULL, 1), -EINVAL);
}
END_TEST

START_TEST(test_hierarchy_parse)
{
	enum cg_hierarchy h = CG_UNIFIED;

	ck_assert_int_eq(cg_hierarchy_parse("auto", &h), 0);
	ck_assert_int_eq(h, CG_AUTO);
	ck_assert_int_eq(cg_hierarchy_parse("systemd", &h), 0);
	ck_assert_int_eq(h, CG_SYSTEMD);
	ck_assert_int_eq(cg_hierarchy_parse("unified", &h), 0);
	ck_assert_int_eq(h, CG_UNIFIED);
	ck_assert_int_eq(cg_hierarchy_parse("v2", &h), -EINVAL);
	ck_assert_int_eq(cg_hierarchy_parse("Auto", &h), -EINVAL);
	ck_assert_int_eq(cg_hierarchy_parse("", &h), -EINVAL);
	ck_assert_int_eq(cg_hierarchy_parse(NULL, &h), -EINVAL);
	ck_assert_int_eq(cg_hierarchy_parse("auto", NULL), -EINVAL);
	ck_assert_int_eq(h, CG_UNIFIED);
}
END_TEST

START_TEST(test_describe_edges)
{
	struct cg_attr a;

	memset(&a, 'x', sizeof(a));
	cg_describe(NULL, &a);
	ck_assert_str_eq(a.unit, "");
	ck_assert_str_eq(a.container_id, "");
	ck_assert_str_eq(a.pod_uid, "");
	cg_describe("", &a);
	ck_assert_str_eq(a.unit, "");
	cg_describe("/system.slice/nginx.service", NULL); /* no crash */
	/* a conmon below a container clears it; a container below a conmon sets it again */
	cg_describe("/docker/" ID_A "/crio-conmon-" ID_B ".scope", &a);
	ck_assert_str_eq(a.container_id, "");
	cg_describe("/machine.slice/libpod-conmon-" ID_A ".scope/x/" ID_C, &a);
	ck_assert_str_eq(a.container_id, ID_C);
	/* ids are taken whole: a prefix only with its dash */
	cg_describe("/system.slice/dockerx" ID_A ".scope", &a);
	ck_assert_str_eq(a.container_id, "");
	ck_assert_str_eq(a.unit, "dockerx" ID_A ".scope");
	/* a pod uid with dashes in a slice name, or underscores in a cgroupfs name: not the form */
	cg_describe("/kubepods.slice/kubepods-pod3c9f8e4a-1b2c-4d5e-8f90-a1b2c3d4e5f6.slice", &a);
	ck_assert_str_eq(a.pod_uid, "");
	cg_describe("/kubepods/pod" POD_ "/" ID_A, &a);
	ck_assert_str_eq(a.pod_uid, "");
	ck_assert_str_eq(a.container_id, ID_A);
	/* trailing and doubled slashes */
	cg_describe("/system.slice//nginx.service/", &a);
	ck_assert_str_eq(a.unit, "nginx.service");
}
END_TEST

/* ---- reading /proc ---- */

START_TEST(test_read_self)
{
	char want[4096], got[4096];
	const char *text;
	int rw, rg;

	/* whatever this machine is (v1, hybrid, v2, a container), the file and the text agree */
	for (int h = CG_AUTO; h <= CG_UNIFIED; h++) {
		rw = cg_path_from_proc(slurp("/proc/self/cgroup"), (enum cg_hierarchy)h, want,
				       sizeof(want));
		rg = cg_read_pid((int)getpid(), (enum cg_hierarchy)h, got, sizeof(got));
		ck_assert_int_eq(rg, rw);
		if (!rw)
			ck_assert_str_eq(got, want);
	}
	/* where either line is there, CG_AUTO finds one, and it is a path */
	text = slurp("/proc/self/cgroup");
	if (strstr(text, ":name=systemd:") || !strncmp(text, "0::", 3) || strstr(text, "\n0::")) {
		ck_assert_int_eq(cg_read_pid((int)getpid(), CG_AUTO, got, sizeof(got)), 0);
		ck_assert_int_eq(got[0], '/');
	}
}
END_TEST

START_TEST(test_read_gone)
{
	char out[256];
	int status;
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (!child)
		_exit(0);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	/* reaped: its /proc entry is gone (the pid is not reused this fast) */
	ck_assert_int_eq(cg_read_pid((int)child, CG_AUTO, out, sizeof(out)), -ESRCH);
	ck_assert_int_eq(cg_read_pid(0, CG_AUTO, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cg_read_pid(-1, CG_AUTO, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(cg_read_file("/nonexistent/cgroup", CG_AUTO, out, sizeof(out)), -ESRCH);
	ck_assert_int_eq(cg_read_file(NULL, CG_AUTO, out, sizeof(out)), -EINVAL);
}
END_TEST

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_read_file)
{
	static char big[CG_PROC_MAX + 2];
	char path[128], out[256];
	size_t n;

	make_tmpdir("test_cgroup");
	snprintf(path, sizeof(path), "%s/cgroup", tmpdir);
	write_file(path, RHEL7("/system.slice/nginx.service"),
		   strlen(RHEL7("/system.slice/nginx.service")));
	ck_assert_int_eq(cg_read_file(path, CG_AUTO, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/system.slice/nginx.service");
	ck_assert_int_eq(cg_read_file(path, CG_UNIFIED, out, sizeof(out)), -ENOENT);

	/* the largest file read whole; one byte more is refused, not cut */
	memset(big, '\n', sizeof(big));
	n = strlen("0::/last\n");
	memcpy(big + CG_PROC_MAX - n, "0::/last\n", n);
	write_file(path, big, CG_PROC_MAX);
	ck_assert_int_eq(cg_read_file(path, CG_AUTO, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/last");
	write_file(path, big, CG_PROC_MAX + 1);
	ck_assert_int_eq(cg_read_file(path, CG_AUTO, out, sizeof(out)), -EFBIG);
	write_file(path, "", 0);
	ck_assert_int_eq(cg_read_file(path, CG_AUTO, out, sizeof(out)), -ENOENT);
	rm_tmpdir();
}
END_TEST

/* ---- filters ---- */

static void add(struct filter_cfg *f, const char *key, const char *value)
{
	char why[256];

	ck_assert_msg(config_filter_add(f, key, value, why, sizeof(why)) == 0, "%s %s: %s", key,
		      value, why);
}

/* cg_filter_match on path as cg_describe sees it. */
static int match(const struct filter_cfg *f, const char *path)
{
	struct cg_attr a;

	cg_describe(path, &a);
	return cg_filter_match(&a, path, f);
}

static struct filter_cfg filt;

static void filt_setup(void)
{
	memset(&filt, 0, sizeof(filt));
	filt.exclude_self = true;
}

START_TEST(test_filter_none)
{
	struct cg_attr a;

	/* no list: everyone, even a task whose cgroup is unknown */
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service"), 1);
	ck_assert_int_eq(match(&filt, "/"), 1);
	ck_assert_int_eq(cg_filter_match(NULL, NULL, &filt), 1);
	ck_assert_int_eq(cg_filter_match(NULL, NULL, NULL), 1);
	/* pids, uids and task names are the kernel's business, not this one's */
	add(&filt, "pids", "1");
	add(&filt, "comms", "nginx");
	ck_assert_int_eq(match(&filt, "/system.slice/sshd.service"), 1);
	cg_describe("/", &a);
	ck_assert_int_eq(cg_filter_match(&a, "/", &filt), 1);
}
END_TEST

START_TEST(test_filter_units)
{
	struct cg_attr a;

	add(&filt, "units", "nginx.service");
	add(&filt, "units", "session-3.scope");
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service"), 1);
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service/worker"), 1);
	ck_assert_int_eq(match(&filt, "/user.slice/user-1000.slice/session-3.scope"), 1);
	ck_assert_int_eq(match(&filt, "/system.slice/sshd.service"), 0);
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service2"), 0);
	ck_assert_int_eq(match(&filt, "/"), 0);
	/* exact: the unit a row carries, the deepest one */
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service/x/session-4.scope"), 0);
	cg_describe("/system.slice/nginx.service", &a);
	ck_assert_int_eq(cg_filter_match(&a, NULL, &filt), 1); /* units need no path */
	ck_assert_int_eq(cg_filter_match(NULL, "/system.slice/nginx.service", &filt), 0);
}
END_TEST

START_TEST(test_filter_containers)
{
	add(&filt, "containers", ID_A);
	add(&filt, "containers", "3e23e816"); /* a short id, as docker ps shows it (12) or less */
	ck_assert_int_eq(match(&filt, "/docker/" ID_A), 1);
	ck_assert_int_eq(match(&filt, "/system.slice/docker-" ID_A ".scope"), 1);
	ck_assert_int_eq(match(&filt, "/machine.slice/libpod-" ID_B ".scope/container"), 1);
	ck_assert_int_eq(match(&filt, "/kubepods/burstable/pod" POD "/" ID_B), 1);
	ck_assert_int_eq(match(&filt, "/docker/" ID_C), 0);
	/* its conmon is not the container; no container is none of them */
	ck_assert_int_eq(match(&filt, "/machine.slice/libpod-conmon-" ID_B ".scope"), 0);
	ck_assert_int_eq(match(&filt, "/system.slice/docker.service"), 0);
	ck_assert_int_eq(match(&filt, "/"), 0);
	ck_assert_int_eq(cg_filter_match(NULL, "/docker/" ID_A, &filt), 0);
}
END_TEST

START_TEST(test_filter_cgroups)
{
	add(&filt, "cgroups", "/system.slice");
	add(&filt, "cgroups", "/kubepods.slice/kubepods-besteffort.slice/");
	ck_assert_int_eq(match(&filt, "/system.slice"), 1);
	ck_assert_int_eq(match(&filt, "/system.slice/x.service"), 1);
	ck_assert_int_eq(match(&filt, "/system.slicex"), 0);
	ck_assert_int_eq(match(&filt, "/system.slicex/x.service"), 0);
	ck_assert_int_eq(match(&filt, "/user.slice/user-1000.slice/session-3.scope"), 0);
	ck_assert_int_eq(
		match(&filt,
		      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_
		      ".slice/cri-containerd-" ID_A ".scope"),
		1);
	ck_assert_int_eq(match(&filt, "/kubepods.slice/kubepods-burstable.slice"), 0);
	ck_assert_int_eq(match(&filt, "/"), 0);
	ck_assert_int_eq(cg_filter_match(NULL, NULL, &filt), 0);

	/* "/" holds everything */
	filt_setup();
	add(&filt, "cgroups", "/");
	ck_assert_int_eq(match(&filt, "/"), 1);
	ck_assert_int_eq(match(&filt, "/init.scope"), 1);
}
END_TEST

START_TEST(test_filter_and)
{
	/* each list must match (AND); any value of one list does (OR) */
	add(&filt, "units", "docker-" ID_A ".scope");
	add(&filt, "units", "nginx.service");
	add(&filt, "cgroups", "/system.slice");
	ck_assert_int_eq(match(&filt, "/system.slice/docker-" ID_A ".scope"), 1);
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service"), 1);
	ck_assert_int_eq(match(&filt, "/other.slice/nginx.service"), 0);
	add(&filt, "containers", "ca97");
	ck_assert_int_eq(match(&filt, "/system.slice/docker-" ID_A ".scope"), 1);
	ck_assert_int_eq(match(&filt, "/system.slice/nginx.service"), 0); /* no container */
	ck_assert_int_eq(match(&filt, "/machine.slice/docker-" ID_A ".scope"), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup");
	TCase *tc = tcase_create("proc");

	tcase_add_loop_test(tc, test_real_hosts, 0, (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_hierarchy_choice);
	tcase_add_test(tc, test_hierarchy_id);
	tcase_add_test(tc, test_path_text);
	tcase_add_test(tc, test_hierarchy_parse);
	tcase_add_test(tc, test_describe_edges);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, test_read_self);
	tcase_add_test(tc, test_read_gone);
	tcase_add_test(tc, test_read_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("filter");
	tcase_add_checked_fixture(tc, filt_setup, NULL);
	tcase_add_test(tc, test_filter_none);
	tcase_add_test(tc, test_filter_units);
	tcase_add_test(tc, test_filter_containers);
	tcase_add_test(tc, test_filter_cgroups);
	tcase_add_test(tc, test_filter_and);
	suite_add_tcase(s, tc);
	return test_run_suite(s);
}
