"""The scripts' one import for connection, configuration, errors and seeded randomness: it re-exports the
package `zava`, where each of these lives."""

from zava.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, ConfigError, Interrupted, KitError
from zava.generation.seeds import rng_for
from zava.mongo.connect import SERVER_TIMEOUT_MS, connect, connected, describe_mongo_error, server_errors
from zava.settings import (
    LOCAL_SERVER_HOST,
    LOCAL_SERVER_PORT,
    LOCAL_SERVER_URI,
    PROJECT_ROOT,
    Config,
    load_config,
    mask_uri,
    read_settings,
    uri_problem,
)
