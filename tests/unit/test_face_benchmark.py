"""benchmarks.faces: the metric helpers, and a quick run over part of the real dev set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.faces import equal_error_rate, letterbox, main, tar_at_far
from tests.paths import FACES_DIR

REQUIRED_KEYS = {
    "count_accuracy",
    "false_extra_person_rate",
    "tar_at_far_1pct",
    "tar_at_far_01pct",
    "eer",
    "threshold",
    "detect_ms_median",
    "embed_ms_median",
    "count_accuracy_two_pass",
    "false_extra_person_rate_two_pass",
    "count_accuracy_640x480_two_pass",
}


def test_tar_at_far_uses_the_lowest_threshold_that_keeps_false_accepts_within_the_rate() -> None:
    impostor = np.linspace(0.0, 0.99, 100)  # one impostor per 0.01
    genuine = np.array([0.5, 0.97, 0.985, 0.995])
    tar, threshold = tar_at_far(genuine, impostor, 0.01)  # one impostor (0.99) may pass
    assert 0.98 < threshold <= 0.9800001 and tar == 0.5
    tar, threshold = tar_at_far(genuine, impostor, 0.001)  # none may pass
    assert 0.99 < threshold <= 0.9900001 and tar == 0.25


def test_equal_error_rate() -> None:
    assert equal_error_rate(np.array([0.8, 0.9]), np.array([0.1, 0.2])) == 0.0
    assert equal_error_rate(np.array([0.3, 0.9]), np.array([0.1, 0.5])) == pytest.approx(0.5)


def test_letterbox_keeps_the_aspect_ratio_inside_a_webcam_frame() -> None:
    tall = np.full((1000, 500, 3), 255, np.uint8)
    frame = letterbox(tall)
    assert frame.shape == (480, 640, 3)
    assert frame[:, :190].max() == 0 and frame[:, 200:440].min() == 255


def test_json_run_on_part_of_the_dev_set_reports_every_metric(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FACES_DIR), "--json", "--limit", "12", "--repeat", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result.keys() >= REQUIRED_KEYS
    assert result["images"] == 12 and result["genuine_pairs"] > 0 and result["impostor_pairs"] > 0
    assert result["count_accuracy"] == 1.0 and result["false_extra_person_rate"] == 0.0
    assert result["count_accuracy_two_pass"] == 1.0 and result["false_extra_person_rate_two_pass"] == 0.0
    assert result["count_accuracy_640x480_two_pass"] >= result["count_accuracy_640x480"]
    assert result["tar_at_far_1pct"] >= 0.9 and result["eer"] <= 0.1
    assert result["threshold"] == pytest.approx(0.363)
    assert result["detect_ms_median"] > 0 and result["embed_ms_median"] > 0


def test_table_output_and_missing_dataset(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main([str(FACES_DIR), "--limit", "6", "--repeat", "1"]) == 0
    table = capsys.readouterr().out
    assert "face-count accuracy" in table and "TAR @ FAR 1%" in table and "embed ms" in table
    assert main([str(tmp_path)]) == 2
    assert "manifest.json" in capsys.readouterr().err


def test_fast_landmarks_study_compares_both_embeddings_with_the_noise_floor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FACES_DIR), "--fast-landmarks", "--json", "--limit", "12"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] > 0 and result["genuine_pairs"] > 0
    drift = result["fast_vs_full_cosine"]
    assert drift["whole"]["n"] + drift["whole_seated"]["n"] == result["frames"]
    assert 0.5 < result["frame_to_frame_noise_cosine"]["whole"]["median"] <= 1.0
    for source in ("full", "fast"):
        assert result["verification"][source].keys() >= {"genuine_min", "impostor_max", "bare_lower_min"}
    assert result["verification"]["full"]["tar_at_threshold"] == 1.0
