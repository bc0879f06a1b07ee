"""bgapp: an interactive background-subtraction lab (engine; no Streamlit here)."""

import os as _os

# OpenCV reads its decode limit once, when it loads: set it before anything imports cv2.
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", "50000000")  # = frames.MAX_IMAGE_PIXELS

from .config import Config
from .errors import BgappError
from .methods import METHODS, create, get_method
from .pipeline import FrameResult, Pipeline, Views

__all__ = ["BgappError", "Config", "FrameResult", "METHODS", "Pipeline", "Views", "create", "get_method"]
__version__ = "0.1.0"
