"""Structural similarity (Wang et al. 2004) with OpenCV, matching scikit-image's Gaussian map.

scikit-image's ``structural_similarity(gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=255)`` is the reference; this module computes the
same map about five times faster with ``cv2.GaussianBlur`` (``BORDER_REFLECT`` is what makes
the borders agree, see NOTES). The reference image's statistics are cached because a
background reference changes far less often than the frame.
"""

from __future__ import annotations

import cv2
import numpy as np

C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2
_BORDER = cv2.BORDER_REFLECT


def window_size(sigma: float) -> int:
    """Gaussian window width skimage uses for ``sigma`` (truncate 3.5): 11 taps at 1.5."""
    return 2 * int(3.5 * sigma + 0.5) + 1


class ReferenceStats:
    """Local mean and variance of one grey reference image, reused for every frame."""

    def __init__(self, ref: np.ndarray, sigma: float = 1.5) -> None:
        self.sigma = float(sigma)
        self.ksize = window_size(self.sigma)
        self.y = ref.astype(np.float32) - 128.0  # centering cuts float32 error (NOTES)
        self.mu = self._blur(self.y)
        self.var = self._blur(self.y * self.y) - self.mu * self.mu
        self.mu_raw = self.mu + 128.0  # the luminance term needs the uncentred mean

    def _blur(self, img: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(img, (self.ksize, self.ksize), self.sigma, borderType=_BORDER)

    def ssim_map(self, frame_grey: np.ndarray) -> np.ndarray:
        """Per-pixel SSIM between ``frame_grey`` (uint8) and the reference, float32 in [-1, 1]."""
        x = frame_grey.astype(np.float32) - 128.0
        mu_x = self._blur(x)
        var_x = self._blur(x * x) - mu_x * mu_x
        cov = self._blur(x * self.y) - mu_x * self.mu
        mx = mu_x + 128.0
        my = self.mu_raw
        num = (2.0 * mx * my + C1) * (2.0 * cov + C2)
        den = (mx * mx + my * my + C1) * (var_x + self.var + C2)
        return num / den


def ssim_map(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """SSIM map of two grey uint8 images of one size (float32, full size)."""
    return ReferenceStats(b, sigma).ssim_map(a)


def ssim_score(a: np.ndarray, b: np.ndarray, sigma: float = 1.5) -> float:
    """Mean SSIM, cropping (win-1)/2 border pixels the way scikit-image's mean does."""
    m = ssim_map(a, b, sigma)
    pad = (window_size(sigma) - 1) // 2
    inner = m[pad:-pad, pad:-pad] if min(m.shape) > 2 * pad else m
    return float(inner.mean(dtype=np.float64))
