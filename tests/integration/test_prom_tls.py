"""test_prom_tls.py - the metrics endpoint with TLS and basic authentication
(output.prometheus.web_config_file, exporter-toolkit format) against real clients: a real
Prometheus server scrapes over https with a CA made here and basic auth and its query API returns
exactly the getppid() calls of a known workload; mutual TLS with a client certificate works and a
certificate of another CA is refused; curl without credentials and with a wrong password gets 401,
plain HTTP to the TLS port fails; a new certificate and SIGHUP: the next handshake presents it and
no counter resets; every bad file is one error with its exit code."""
import datetime
import hashlib
import ipaddress
import os
import re
import signal
import socket
import ssl
import subprocess
import time
import warnings

import harness
from harness import Workload, cleanup, make_workdir, skip, test, write_config
from test_prom import Prometheus, comm, free_port, monitors_yaml, samples

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # checked in each test: skip() fails under CI
    x509 = None

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import crypt
    except ImportError:
        crypt = None

USER, PASSWORD = "prom", "s3cret-Pa55"


def need_tools():
    if x509 is None:
        skip("python3-cryptography is not installed (scripts/setup.sh installs it)")
    if crypt is None:
        skip("Python's crypt module is missing (bcrypt hashes for basic_auth_users)")
    if not os.path.exists("/usr/bin/curl"):
        skip("curl is not installed (scripts/setup.sh installs it)")


def bcrypt(password):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))


class Pki:
    """A CA, server certificates (IP 127.0.0.1) and client certificates, as PEM files in d."""

    def __init__(self, d):
        self.d = d
        self.now = datetime.datetime.now(datetime.timezone.utc)
        self.ca_key, self.ca = self.make_ca("ebpf-monitor test CA")
        self.client_ca_key, self.client_ca = self.make_ca("ebpf-monitor test client CA")
        self.rogue_ca_key, self.rogue_ca = self.make_ca("someone else's CA")

    def make_ca(self, cn):
        k = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        c = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
             .public_key(k.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(self.now - datetime.timedelta(days=1))
             .not_valid_after(self.now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .sign(k, hashes.SHA256()))
        return k, c

    def leaf(self, cn, ca_key, ca, server=True, days=(-1, 30)):
        k = ec.generate_private_key(ec.SECP256R1())
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca.subject).public_key(k.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(self.now + datetime.timedelta(days=days[0]))
             .not_valid_after(self.now + datetime.timedelta(days=days[1])))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False).add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        else:
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                                critical=False)
        return k, b.sign(ca_key, hashes.SHA256())

    def write(self, name, data, mode=0o644):
        path = os.path.join(self.d, name)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.rename(tmp, path)  # as a certificate manager replaces files
        return path

    def write_cert(self, name, cert):
        return self.write(name, cert.public_bytes(serialization.Encoding.PEM))

    def write_key(self, name, key, mode=0o600):
        return self.write(name, key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()), mode)

    def server(self, cert_name="server.crt", key_name="server.key", days=(-1, 30)):
        k, c = self.leaf("localhost", self.ca_key, self.ca, days=days)
        self.write_cert(cert_name, c)
        self.write_key(key_name, k)
        return c

    @staticmethod
    def fingerprint(cert):
        return cert.fingerprint(hashes.SHA256()).hex()


def web_config(d, text, mode=0o600):
    path = os.path.join(d, "web.yml")
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def tls_yaml(extra=""):
    return ("tls_server_config:\n"
            "  cert_file: server.crt\n"
            "  key_file: server.key\n" + extra)


def users_yaml():
    return f"basic_auth_users:\n  {USER}: {bcrypt(PASSWORD)}\n"


def endpoint_config(d, port, web, monitors="syscall", extra=""):
    return write_config(d, monitors_yaml(monitors), extra=(
        "  prometheus:\n"
        "    enabled: true\n"
        f"    listen: 127.0.0.1:{port}\n"
        f"    web_config_file: {web}\n" + extra))


def start(d, port, web, monitors="syscall"):
    m = harness.Monitor(["-c", endpoint_config(d, port, web, monitors), "-m", monitors], cwd=d)
    m.wait_attached(timeout=120)
    return m


def curl(port, *args, scheme="https"):
    """curl's HTTP status ("000": no HTTP answer), its exit code and the response headers."""
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-D", "-", "-w", "\\n%{http_code}",
                        "--max-time", "10", *args, f"{scheme}://127.0.0.1:{port}/metrics"],
                       capture_output=True, text=True, timeout=30)
    head, _, code = p.stdout.rpartition("\n")
    return code.strip(), p.returncode, head


def scrape_tls(port, pki_dir, cert=None, key=None, auth=True):
    """The exposition over https, verified against the test CA."""
    import base64
    import http.client
    ctx = ssl.create_default_context(cafile=os.path.join(pki_dir, "ca.crt"))
    if cert:
        ctx.load_cert_chain(cert, key)
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(
            f"{USER}:{PASSWORD}".encode()).decode()
    c.request("GET", "/metrics", headers=headers)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    assert r.status == 200, (r.status, body)
    return body


def presented_fingerprint(port):
    """SHA-256 of the certificate the endpoint presents in the handshake (not verified here: the
    fingerprint is the check)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


def getppid_count(text, name):
    return sum(v for n, lab, v in samples(text)
               if n == "ebpf_monitor_syscalls_total" and lab.get("comm") == name
               and lab.get("syscall") == "getppid")


def wait_query(prom, q, want, timeout=45):
    got = None
    deadline = time.time() + timeout
    while time.time() < deadline:
        res = prom.query(q)
        got = float(res[0]["value"][1]) if res else None
        if got == want:
            break
        time.sleep(1)
    return got


@test
def test_prom_tls_real_prometheus_https_basic_auth_exact_getppid():
    need_tools()
    d = make_workdir()
    port = free_port()
    m = prom = None
    try:
        pki = Pki(d)
        pki.write_cert("ca.crt", pki.ca)
        pki.server()
        web = web_config(d, tls_yaml() + users_yaml())
        m = start(d, port, web)
        assert re.search(rf"Prometheus metrics at https://127\.0\.0\.1:{port}/metrics \(TLS12\.\."
                         r"TLS13, client certificates: NoClientCert, certificate valid until "
                         r"\d{4}-\d\d-\d\d, basic authentication\)", m.stderr()), m.stderr()
        prom = Prometheus(port, job_extra=(
            "    scheme: https\n"
            "    tls_config:\n"
            f"      ca_file: {d}/ca.crt\n"
            "    basic_auth:\n"
            f"      username: {USER}\n"
            f"      password: {PASSWORD}\n"))
        name = comm("tl")
        n = 54321
        Workload(name, "getppid", n, 3, 1.2).run()
        q = f'sum(ebpf_monitor_syscalls_total{{comm="{name}",syscall="getppid"}})'
        got = wait_query(prom, q, n)
        assert got == n, (got, n, prom.logtext())
        up = prom.query('up{job="ebpf-monitor"}')
        assert up and up[0]["value"][1] == "1", up

        # curl: no credentials 401 with the challenge; a wrong password 401; the right one 200;
        # plain HTTP to the TLS port gets no HTTP answer.
        code, rc, head = curl(port, "--cacert", f"{d}/ca.crt")
        assert code == "401" and re.search(r'(?im)^www-authenticate: Basic realm="ebpf-monitor"',
                                           head), (code, rc, head)
        wrong = "not-the-Pa55word"
        code, rc, head = curl(port, "--cacert", f"{d}/ca.crt", "-u", f"{USER}:{wrong}")
        assert code == "401", (code, rc, head)
        code, rc, _ = curl(port, "--cacert", f"{d}/ca.crt", "-u", f"nobody:{PASSWORD}")
        assert code == "401", (code, rc)
        code, rc, _ = curl(port, "--cacert", f"{d}/ca.crt", "-u", f"{USER}:{PASSWORD}")
        assert code == "200", (code, rc)
        code, rc, _ = curl(port, scheme="http")
        assert code == "000" and rc != 0, ("plain HTTP to the TLS port answered", code, rc)
        # The failures were logged (at most once per 10 s), never with a password in the line.
        m.wait_for("failed basic authentication attempt", timeout=10)
        assert wrong not in m.stderr() and PASSWORD not in m.stderr(), m.stderr()
        assert m.stop() == 0, m.stderr()
    finally:
        if prom:
            prom.stop()
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)


@test
def test_prom_tls_mutual_tls_client_certificate():
    need_tools()
    d = make_workdir()
    port = free_port()
    m = prom = None
    try:
        pki = Pki(d)
        pki.write_cert("ca.crt", pki.ca)
        pki.write_cert("clients-ca.crt", pki.client_ca)
        pki.server()
        k, c = pki.leaf("prometheus", pki.client_ca_key, pki.client_ca, server=False)
        client_crt, client_key = pki.write_cert("client.crt", c), pki.write_key("client.key", k)
        k, c = pki.leaf("prometheus", pki.rogue_ca_key, pki.rogue_ca, server=False)
        rogue_crt, rogue_key = pki.write_cert("rogue.crt", c), pki.write_key("rogue.key", k)
        web = web_config(d, tls_yaml("  client_auth_type: RequireAndVerifyClientCert\n"
                                     "  client_ca_file: clients-ca.crt\n"))
        m = start(d, port, web)
        prom = Prometheus(port, job_extra=(
            "    scheme: https\n"
            "    tls_config:\n"
            f"      ca_file: {d}/ca.crt\n"
            f"      cert_file: {client_crt}\n"
            f"      key_file: {client_key}\n"))
        name = comm("tm")
        n = 4321
        Workload(name, "getppid", n).run()
        got = wait_query(prom, f'sum(ebpf_monitor_syscalls_total{{comm="{name}",'
                         f'syscall="getppid"}})', n)
        assert got == n, (got, n, prom.logtext())

        code, rc, _ = curl(port, "--cacert", f"{d}/ca.crt", "--cert", client_crt, "--key",
                           client_key)
        assert code == "200", (code, rc)
        # Another CA's client certificate, and none at all: refused.
        code, rc, _ = curl(port, "--cacert", f"{d}/ca.crt", "--cert", rogue_crt, "--key",
                           rogue_key)
        assert code == "403", ("a client certificate of another CA got", code, rc)
        code, rc, _ = curl(port, "--cacert", f"{d}/ca.crt")
        assert code == "403", ("no client certificate got", code, rc)
        m.wait_for("metrics endpoint: refused a request from 127.0.0.1: client certificate "
                   "refused", timeout=10)
        assert m.stop() == 0, m.stderr()
    finally:
        if prom:
            prom.stop()
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)


@test
def test_prom_tls_certificate_rotation_on_sighup():
    need_tools()
    d = make_workdir()
    port = free_port()
    m = None
    try:
        pki = Pki(d)
        pki.write_cert("ca.crt", pki.ca)
        first = pki.server()
        web = web_config(d, tls_yaml() + users_yaml())
        m = start(d, port, web)
        assert presented_fingerprint(port) == Pki.fingerprint(first)
        name = comm("tr")

        def count_until(n):
            deadline = time.time() + 20
            got = getppid_count(scrape_tls(port, d), name)
            while got != n and time.time() < deadline:
                time.sleep(0.5)
                got = getppid_count(scrape_tls(port, d), name)
            return got

        Workload(name, "getppid", 3000).run()
        assert count_until(3000) == 3000
        # A renewed certificate written over the files (as certbot or cert-manager do), SIGHUP:
        # the next handshake presents it; the counters go on from where they were.
        second = pki.server()
        assert Pki.fingerprint(second) != Pki.fingerprint(first)
        m.proc.send_signal(signal.SIGHUP)
        m.wait_for("SIGHUP: Prometheus metrics now at https://", timeout=20)
        assert presented_fingerprint(port) == Pki.fingerprint(second)
        assert getppid_count(scrape_tls(port, d), name) == 3000, "a counter reset at the reload"
        Workload(name, "getppid", 2000).run()
        assert count_until(5000) == 5000
        # A broken renewal (the key of another certificate): refused, the running one stays.
        k, _ = pki.leaf("localhost", pki.ca_key, pki.ca)
        pki.write_key("server.key", k)
        m.proc.send_signal(signal.SIGHUP)
        m.wait_for("does not match the certificate", timeout=20)
        assert "the metrics endpoint keeps its TLS and authentication settings" in m.stderr()
        assert presented_fingerprint(port) == Pki.fingerprint(second)
        assert getppid_count(scrape_tls(port, d), name) == 5000
        assert m.stop() == 0, m.stderr()
    finally:
        if m and m.proc.poll() is None:
            m.stop()
        cleanup(d)


@test
def test_prom_tls_bad_files_are_one_clear_error_each():
    need_tools()
    d = make_workdir()
    try:
        pki = Pki(d)
        pki.server()
        users = users_yaml()
        other_key, _ = pki.leaf("localhost", pki.ca_key, pki.ca)
        _, expired = pki.leaf("localhost", pki.ca_key, pki.ca, days=(-30, -2))

        def case(web_text, want_rc, want, web_mode=0o600, prepare=None):
            pki.server()  # good files first; prepare() breaks one
            if prepare:
                prepare()
            web = web_config(d, web_text, web_mode)
            cfg = endpoint_config(d, free_port(), web)
            p = harness.run(["-c", cfg, "-m", "syscall", "--duration", "2"], cwd=d)
            errors = [ln for ln in p.stderr.splitlines() if "ERROR" in ln]
            assert p.returncode == want_rc and len(errors) == 1 and re.search(want, errors[0]), \
                (want, want_rc, p.returncode, p.stderr)
            assert "attached" not in p.stderr, "fails before any probe is compiled"

        case(tls_yaml().replace("server.crt", "missing.crt"), 2,
             r"cert_file .*/missing\.crt: No such file or directory")
        case(tls_yaml(), 2, r"key_file .*server\.key does not match the certificate",
             prepare=lambda: pki.write_key("server.key", other_key))
        case(tls_yaml(), 2, r"the certificate expired on \d{4}-",
             prepare=lambda: pki.write_cert("server.crt", expired))
        case(tls_yaml(), 2, r"no PEM certificate in it",
             prepare=lambda: pki.write("server.crt", b"not a certificate\n"))
        case(tls_yaml(), 5, r"key_file .*server\.key has mode 0644: .*chmod 600",
             prepare=lambda: os.chmod(os.path.join(d, "server.key"), 0o644))
        case(tls_yaml(), 5, r"server\.key is owned by uid 65534, not root",
             prepare=lambda: os.chown(os.path.join(d, "server.key"), 65534, 65534))
        case(tls_yaml() + users, 5, r"web_config_file .*web\.yml has mode 0644", web_mode=0o644)
        case(users, 2, r"basic_auth_users without tls_server_config would send the passwords in "
             r"clear text")
        case(tls_yaml() + "http_server_config:\n  http2: false\n", 2,
             r"web\.yml:\d+: http_server_config is not supported")
        case(tls_yaml("  cert_fil: x\n"), 2, r"web\.yml:\d+: tls_server_config\.cert_fil: "
             r"unknown setting")
        case(tls_yaml("  client_auth_type: RequireAnyClientCert\n  client_ca_file: server.crt\n"),
             2, r"RequireAnyClientCert .* is not supported")
        case(tls_yaml("  client_auth_type: RequireAndVerifyClientCert\n"), 2,
             r"needs client_ca_file")
        case(tls_yaml() + f"basic_auth_users:\n  {USER}: plaintext\n", 2,
             r"basic_auth_users\.prom: not a bcrypt hash")
        case(tls_yaml("  min_version: TLS13\n  max_version: TLS12\n"), 2,
             r"min_version TLS13 is above max_version TLS12")
    finally:
        cleanup(d)
