"""The OpenCV SSIM map equals scikit-image's Gaussian SSIM (Wang et al.) map."""

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from bgapp.ssim import ReferenceStats, ssim_map, ssim_score, window_size


def _pair(shape=(120, 160), seed=0):
    rng = np.random.default_rng(seed)
    a = cv2.GaussianBlur(rng.integers(0, 256, shape, dtype=np.uint8), (5, 5), 0)
    b = np.clip(a.astype(int) + rng.normal(0, 12, shape), 0, 255).astype(np.uint8)
    b[30:60, 40:90] = 255 - b[30:60, 40:90]  # a structural change
    return a, b


@pytest.mark.parametrize("sigma", [1.5, 0.8, 2.5])
def test_map_matches_skimage_gaussian(sigma):
    a, b = _pair()
    mean, ref = structural_similarity(a, b, gaussian_weights=True, sigma=sigma, use_sample_covariance=False,
                                      data_range=255, full=True)
    ours = ssim_map(a, b, sigma)
    assert ours.shape == a.shape and ours.dtype == np.float32
    assert np.abs(ours - ref).max() < 5e-4
    if sigma == 1.5:
        assert abs(ssim_score(a, b, sigma) - mean) < 1e-4


def test_window_is_eleven_taps_at_default_sigma():
    assert window_size(1.5) == 11


def test_cached_reference_gives_same_map_for_new_frames():
    a, b = _pair(seed=1)
    stats = ReferenceStats(b)
    for frame in (a, b, 255 - a):
        assert np.array_equal(stats.ssim_map(frame), ssim_map(frame, b))
    assert np.allclose(stats.ssim_map(b), 1.0, atol=1e-4)  # identical images
