"""Change-stream pre- and post-images: enabling them, reading them back, and explaining failures."""

from __future__ import annotations

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure

from common import ServerInfo

OPTION = "changeStreamPreAndPostImages"
UNSUPPORTED_CODES = (59, 72, 40415)  # CommandNotFound, InvalidOptions, unknown field: server older than 6.0
LOCAL_NO_PRE_IMAGES = (
    "the local server accepts the setting but never delivers pre-images; "
    "the Ditto connector needs real MongoDB 7.0.13+ or 8.0+ as a replica set"
)


def topology_warning(client: MongoClient, info: ServerInfo) -> str | None:
    """Why change streams cannot work on this server, or None."""
    if info.is_local:
        return None
    hello = client.admin.command("hello")
    if "setName" not in hello and hello.get("msg") != "isdbgrid":
        return (
            "this server is a standalone mongod: change streams need a replica set "
            "(see docker-compose.yml for a single-node one)"
        )
    return None


def failure_guidance(exc: OperationFailure) -> str:
    """One line on what to do about a refused collMod."""
    if exc.code == 13:
        return (
            "the user may not run collMod: grant the dbAdmin role on this database "
            "(on Atlas: 'Atlas admin', or a custom role with the collMod action)"
        )
    if exc.code in UNSUPPORTED_CODES:
        return (
            "this server does not support changeStreamPreAndPostImages: it needs MongoDB 6.0+ (the connector 7.0.13+)"
        )
    return str(exc.details.get("errmsg", exc) if exc.details else exc).splitlines()[0][:160]


def images_enabled(db: Database, name: str) -> bool | None:
    """Whether listCollections reports pre/post images on; None when the server reports no such option."""
    found = next(iter(db.list_collections(filter={"name": name})), None)
    if found is None:
        return False
    options = found.get("options", {})
    if OPTION in options:
        return bool(options[OPTION].get("enabled"))
    return None


def enable_images(db: Database, name: str) -> bool:
    """Create the collection when missing, then switch pre/post images on; True when it was created."""
    created = name not in db.list_collection_names(filter={"name": name})
    if created:
        db.create_collection(name)
    db.command("collMod", name, **{OPTION: {"enabled": True}})
    return created
