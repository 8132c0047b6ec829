#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) on 127.0.0.1 for Rewind's e-mail tests.

    smtp-test-server.py [--port N] [--tls starttls|implicit] [--username U --password P]

It generates a private CA and a server certificate for 127.0.0.1 / localhost (with the
`cryptography` package) into a temporary folder, then listens. Output on stdout, one JSON object
per line:

    {"port": 41234, "ca_file": "/tmp/…/ca.pem", "tls": "starttls"}       first: ready
    {"mail_from": …, "rcpt_tos": […], "subject": …, "parts": […], …}     one per message

Each message is parsed with Python's `email` package, so the test checks what a real MIME parser
sees. AUTH PLAIN/LOGIN is required for MAIL, and offered only over TLS (after STARTTLS, or from the
first byte with --tls implicit).
The server stops when stdin closes or on SIGTERM, and removes its temporary folder.
"""

import argparse
import asyncio
import datetime
import email
import email.policy
import ipaddress
import json
import os
import shutil
import signal
import ssl
import sys
import tempfile

try:
    from aiosmtpd.smtp import SMTP, AuthResult
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
except ImportError as missing:  # the Swift test reports this line as its failure
    print(json.dumps({"error": f"{missing}; install with: pip install aiosmtpd cryptography"}), flush=True)
    sys.exit(2)


def make_certificates(folder):
    """A CA, and a certificate for 127.0.0.1 and localhost signed by it. Returns (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    validity = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Rewind test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )

    paths = {name: os.path.join(folder, name) for name in ("ca.pem", "server.pem", "server.key")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.pem"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.key"], "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return paths["ca.pem"], paths["server.pem"], paths["server.key"]


def summarize(envelope):
    """What the test asserts on: the envelope and the message as Python's MIME parser reads it."""
    raw = envelope.original_content or envelope.content
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        parts.append(
            {
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding"),
                "text": part.get_content(),
            }
        )
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": envelope.rcpt_tos,
        "subject": str(message["Subject"]),
        "to": str(message["To"]),
        "from": str(message["From"]),
        "date": str(message["Date"]),
        "message_id": str(message["Message-ID"]),
        "content_type": message.get_content_type(),
        "header_names": list(message.keys()),
        "defects": [type(d).__name__ for d in message.defects],
        "max_line_length": max((len(line) for line in raw.split(b"\r\n")), default=0),
        "parts": parts,
    }


class Recorder:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps(summarize(envelope)), flush=True)
        return "250 2.0.0 Ok: queued"


def main():
    # A parent that spawns us from a thread with signals blocked (libdispatch workers do) passes that
    # mask on; unblock SIGTERM/SIGINT so that stopping works.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tls", choices=["starttls", "implicit"], default="starttls")
    parser.add_argument("--username", default="rewind")
    parser.add_argument("--password", default="correct horse battery staple")
    options = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="rewind-smtp-")
    try:
        ca_file, cert_file, key_file = make_certificates(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        asyncio.run(serve(options, context, ca_file))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def serve(options, context, ca_file):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            auth_data.login.decode() == options.username
            and auth_data.password.decode() == options.password
        )
        return AuthResult(success=ok, handled=False)

    implicit = options.tls == "implicit"

    def factory():
        return SMTP(
            Recorder(),
            hostname="rewind-test-smtp",
            tls_context=None if implicit else context,
            require_starttls=not implicit,
            authenticator=authenticator,
            auth_required=True,
            # With implicit TLS the whole connection is encrypted, but aiosmtpd only knows about STARTTLS.
            auth_require_tls=not implicit,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory, host="127.0.0.1", port=options.port, ssl=context if implicit else None
    )
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "ca_file": ca_file, "tls": options.tls}), flush=True)

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not os.read(sys.stdin.fileno(), 4096) else None)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    main()
