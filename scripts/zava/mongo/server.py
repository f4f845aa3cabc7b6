"""Which server answers: the local nx-27017 server or real MongoDB (whether on Atlas, and how it is deployed)."""

from __future__ import annotations

from dataclasses import dataclass

from pymongo import MongoClient


@dataclass(frozen=True)
class ServerInfo:
    """What kind of server answers: the local nx-27017 server or real MongoDB."""

    kind: str  # "nx-27017" or "mongodb"
    version: str
    atlas: bool

    @property
    def is_local(self) -> bool:
        return self.kind == "nx-27017"

    def describe(self) -> str:
        if self.is_local:
            return f"nx-27017 local server (MongoDB wire protocol {self.version})"
        return f"MongoDB {self.version}{' on Atlas' if self.atlas else ''}"


def server_info(client: MongoClient) -> ServerInfo:
    """Detect the server kind from buildInfo (nx-27017 reports its process name there)."""
    info = client.admin.command("buildInfo")
    hosts = " ".join(f"{h}" for h, _ in client.topology_description.server_descriptions())
    kind = "nx-27017" if str(info.get("process", "")).startswith("nx_27017") else "mongodb"
    return ServerInfo(kind, str(info.get("version", "unknown")), ".mongodb.net" in hosts)


def topology(client: MongoClient) -> str:
    """How the server is deployed, from `hello`: "mongos" (a cluster's router), "replica set" or "standalone"."""
    hello = client.admin.command("hello")
    if hello.get("msg") == "isdbgrid":
        return "mongos"
    return "replica set" if "setName" in hello else "standalone"
