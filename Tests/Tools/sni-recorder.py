#!/usr/bin/env python3
"""A TLS server that records the SNI name each client sends, for the exporter's TLS tests.

Usage: sni-recorder.py CERT KEY PORT_FILE NAMES_FILE
Listens on a free loopback port (written to PORT_FILE), completes each TLS handshake, appends the
server name the client sent (or "-" for none) to NAMES_FILE, and closes the connection. Runs until
killed by its pid.
"""
import socket
import ssl
import sys

cert, key, port_file, names_file = sys.argv[1:5]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)


def record(_sock, name, _ctx):
    with open(names_file, "a") as f:
        f.write((name or "-") + "\n")


context.sni_callback = record
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen(16)
with open(port_file + ".tmp", "w") as f:
    f.write(str(listener.getsockname()[1]))
import os
os.replace(port_file + ".tmp", port_file)
while True:
    conn, _ = listener.accept()
    conn.settimeout(2)
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(1)
    except Exception:
        pass
    finally:
        conn.close()
