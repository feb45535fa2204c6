"""A mail server on 127.0.0.1 for Rollcall's email-report tests (aiosmtpd).

STARTTLS is required before anything else, and so is signing in, as one user with one
password. Each message taken is written to FOLDER as NNN.eml. Prints "ready" once it
listens on PORT, then serves until stopped.

    serve.py FOLDER PORT CERT KEY USER PASSWORD
"""

import pathlib
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main() -> None:
    folder, port, cert, key, user, password = sys.argv[1:7]
    out = pathlib.Path(folder)
    out.mkdir(parents=True, exist_ok=True)

    class Keep:
        async def handle_DATA(self, server, session, envelope):
            taken = len(list(out.glob("*.eml")))
            (out / f"{taken:03}.eml").write_bytes(envelope.original_content)
            return "250 Message accepted"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Keep(),
        hostname="127.0.0.1",
        port=int(port),
        server_hostname="127.0.0.1",
        tls_context=context,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_exclude_mechanism=["CRAM-MD5"],
    )
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
