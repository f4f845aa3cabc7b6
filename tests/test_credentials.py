"""Credentials: check_credentials.py names what is wrong in a URI, encode_password.py encodes, passwords stay hidden."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest

import check_credentials
import encode_password
from common import mask_uri


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("mongodb+srv://bob:p@ss#1@cluster0.abc.mongodb.net/", "unencoded # @"),
        ("mongodb://bob:50%off@host", "a % not followed by two hex digits"),
        ("mongodb://bob@host", "no password after the user name"),
        ("mongodb+srv://bob:pw@a.example.net,b.example.net/", "takes one host name without a port"),
        ("postgres://bob:pw@host", "must start with mongodb://"),
        ("mongodb://bob:pw@127.0.0.1:99999", "the driver rejects it: Port must be an integer"),
    ],
)
def test_check_credentials_flags_problems(uri, problem):
    findings = check_credentials.inspect_uri(uri)
    bad = [f.message for f in findings if not f.ok]
    assert any(problem in message for message in bad), bad


def test_check_credentials_accepts_a_good_uri_and_hides_the_password(settings, monkeypatch, capsys):
    findings = check_credentials.inspect_uri("mongodb+srv://bob:p%40ss@cluster0.abc.mongodb.net/?authSource=admin")
    assert all(f.ok for f in findings)
    assert "password present (4 characters, hidden)" in [f.message for f in findings]
    monkeypatch.setenv("MONGODB_CONNECTION_STRING", "mongodb://bob:Secr3t@@db.example.com")
    assert check_credentials.main(settings) == 1
    output = "".join(capsys.readouterr())
    assert "Secr3t" not in output and "unencoded @" in output


def test_encode_password_round_trips(monkeypatch, capsys):
    for password in ("p@ss:w/rd?#[]%", "plain", "space and ünïcode"):
        encoded = encode_password.encode_password(password)
        assert unquote(encoded) == password and not set(encoded) & set(":/?#[]@ ")
    assert encode_password.main(["p@ss", "--user", "bob"]) == 0
    assert capsys.readouterr().out.strip() == "bob:p%40ss@"
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin:1\n"))
    assert encode_password.main(["--quiet"]) == 0
    assert capsys.readouterr().out.strip() == "from%20stdin%3A1"


@pytest.mark.parametrize(
    ("uri", "masked"),
    [
        ("mongodb://alice:s3cret@host:27017/db", "mongodb://alice:****@host:27017/db"),
        (
            "mongodb+srv://bob:p@ss:w0rd@cluster.example.net/?retryWrites=true",
            "mongodb+srv://bob:****@cluster.example.net/?retryWrites=true",
        ),
        ("mongodb://host:27017", "mongodb://host:27017"),
        ("mongodb://carol@host", "mongodb://carol@host"),
    ],
)
def test_mask_uri(uri, masked):
    assert mask_uri(uri) == masked
