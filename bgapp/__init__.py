"""bgapp: an interactive background-subtraction lab (engine; no Streamlit here)."""

from .config import Config
from .errors import BgappError
from .methods import METHODS, create, get_method
from .pipeline import FrameResult, Pipeline, Views

__all__ = ["BgappError", "Config", "FrameResult", "METHODS", "Pipeline", "Views", "create", "get_method"]
__version__ = "0.1.0"
