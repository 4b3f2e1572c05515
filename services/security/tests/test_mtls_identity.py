"""With mTLS configured, the caller's certificate identity decides who may read values
(certificates made here with `cryptography`: a CA, a server cert, client certs)."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from svckit.channels import open_channel
from tstudio.security.v1 import security_pb2, security_pb2_grpc

VALUE = "sk-proj-mtls-protected-value-0123456789abc"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> tuple[str, str]:
    cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_path), str(key_path)


def make_pki(directory: Path) -> dict[str, tuple[str, str]]:
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("tstudio test CA"))
        .issuer_name(_name("tstudio test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    out = {"ca": _write(directory, "ca", ca, ca_key)}

    def issue(common_name: str, sans: list[x509.GeneralName]) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        )
        return _write(directory, common_name, builder.sign(ca_key, hashes.SHA256()), key)

    out["security"] = issue(
        "security", [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    out["gateway"] = issue("gateway", [x509.DNSName("gateway")])
    out["compiler"] = issue("compiler", [x509.DNSName("compiler")])
    return out


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, tuple[str, str]]:
    return make_pki(tmp_path)


async def test_certificate_identity_decides_who_reads_values(
    make_service: Any, pki: dict[str, tuple[str, str]]
) -> None:
    ca = pki["ca"][0]
    cert, key = pki["security"]
    service = await make_service(tls_cert_file=cert, tls_key_file=key, tls_ca_file=ca)
    address = f"localhost:{service.port}"

    def stub_for(identity: str) -> tuple[grpc.aio.Channel, security_pb2_grpc.SecurityServiceStub]:
        client_cert, client_key = pki[identity]
        channel = open_channel(address, tls_cert_file=client_cert, tls_key_file=client_key, tls_ca_file=ca)
        return channel, security_pb2_grpc.SecurityServiceStub(channel)

    gateway_channel, gateway = stub_for("gateway")
    compiler_channel, compiler = stub_for("compiler")
    try:
        await compiler.PutSecret(security_pb2.PutSecretRequest(name="openai", provider="openai", value=VALUE))
        assert (await gateway.GetSecret(security_pb2.GetSecretRequest(name="openai"))).value == VALUE
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await compiler.GetSecret(security_pb2.GetSecretRequest(name="openai"))
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "compiler may not read" in (caught.value.details() or "")
    finally:
        await gateway_channel.close()
        await compiler_channel.close()


async def test_a_client_without_a_certificate_cannot_connect(
    make_service: Any, pki: dict[str, tuple[str, str]]
) -> None:
    ca = pki["ca"][0]
    cert, key = pki["security"]
    service = await make_service(tls_cert_file=cert, tls_key_file=key, tls_ca_file=ca)
    channel = open_channel(f"localhost:{service.port}", tls_ca_file=ca)
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await security_pb2_grpc.SecurityServiceStub(channel).ListSecrets(
                security_pb2.ListSecretsRequest(), timeout=5
            )
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await channel.close()
