"""lifecycle: a system-dynamics model of regional industrial cluster life cycles, on PySD."""

from importlib.metadata import PackageNotFoundError, version

from .errors import LifecycleError
from .model import Model, load_model

try:
    __version__ = version("lifecycle")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

__all__ = sorted(["LifecycleError", "Model", "__version__", "load_model"])
