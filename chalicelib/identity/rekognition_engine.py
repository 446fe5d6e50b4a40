"""FaceEngine on Amazon Rekognition: DetectFaces to observe, CompareFaces against the reference photo in S3.

Rekognition keeps no template of ours: the template is the S3 key of the reference photo, and each similarity
call sends the frame's bytes with that key. Box, landmarks, pose and confidence come from DetectFaces; brightness
and sharpness are measured locally with the same definitions as the OpenCV engine (quality.py), so QualityLimits
and the analyzer's lighting policy mean the same thing whichever engine an agency uses (Rekognition's own
Quality.Brightness/Sharpness are 0..100 scores on another scale).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from botocore.exceptions import ClientError

from chalicelib.identity.face_detector import FaceStream, as_bgr
from chalicelib.identity.face_engine import FaceObservation, FaceTemplate
from chalicelib.identity.quality import face_brightness, face_sharpness

ENGINE_NAME = "rekognition"
# CompareFaces' documented default SimilarityThreshold (80 %). Not measured by us: the dev benchmark runs offline.
DEFAULT_MATCH_THRESHOLD = 0.80
MAX_IMAGE_BYTES = 5 * 1024 * 1024  # Rekognition's limit for Image.Bytes
_MIN_OVERLAP = 0.3  # IoU above which a CompareFaces target face is taken to be the face we were asked about


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w, h = min(ax + aw, bx + bw) - max(ax, bx), min(ay + ah, by + bh) - max(ay, by)
    inter = max(0.0, w) * max(0.0, h)
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _pixel_box(box: dict[str, float], width: int, height: int) -> tuple[float, float, float, float]:
    return (
        box.get("Left", 0.0) * width,
        box.get("Top", 0.0) * height,
        box.get("Width", 0.0) * width,
        box.get("Height", 0.0) * height,
    )


def _landmarks(detail: dict[str, Any], width: int, height: int) -> tuple[tuple[float, float], ...]:
    """Our order: right eye, left eye, nose, right and left mouth corner (the subject's right is the image's left).

    Sides are assigned by image x rather than by Rekognition's eyeLeft/eyeRight names, whose handedness is not
    documented. Empty when one of the five is missing.
    """
    points = {m["Type"]: (m["X"] * width, m["Y"] * height) for m in detail.get("Landmarks", []) if "Type" in m}
    if not {"eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"} <= points.keys():
        return ()
    eyes = sorted((points["eyeLeft"], points["eyeRight"]))
    mouth = sorted((points["mouthLeft"], points["mouthRight"]))
    return eyes[0], eyes[1], points["nose"], mouth[0], mouth[1]


class RekognitionFaceEngine:
    """Rekognition through a boto3 client passed in; the reference photos live in `bucket`."""

    name = ENGINE_NAME

    def __init__(self, client: Any, bucket: str, match_threshold: float = DEFAULT_MATCH_THRESHOLD) -> None:
        if not 0.0 <= match_threshold <= 1.0:
            raise ValueError("match_threshold is a similarity within [0, 1]")
        self._client = client
        self._bucket = bucket
        self.match_threshold = float(match_threshold)

    @staticmethod
    def _bytes(image_bgr: np.ndarray, encoded: bytes | None) -> bytes:
        if encoded and len(encoded) <= MAX_IMAGE_BYTES:
            return bytes(encoded)
        ok, jpeg = cv2.imencode(".jpg", as_bgr(image_bgr), [cv2.IMWRITE_JPEG_QUALITY, 90])
        if not ok or len(jpeg) > MAX_IMAGE_BYTES:
            raise ValueError("image cannot be encoded within Rekognition's 5 MB limit")
        return jpeg.tobytes()

    def observe(
        self, image_bgr: np.ndarray, encoded: bytes | None = None, *, stream: FaceStream | None = None
    ) -> list[FaceObservation]:
        """DetectFaces with all attributes; `encoded` must be the same picture as image_bgr (sizes map boxes).
        `stream` is accepted for the engine interface and changes nothing: every frame is one DetectFaces call."""
        image = as_bgr(image_bgr)
        height, width = image.shape[:2]
        response = self._client.detect_faces(Image={"Bytes": self._bytes(image, encoded)}, Attributes=["ALL"])
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        faces = []
        for detail in response.get("FaceDetails", []):
            box = _pixel_box(detail.get("BoundingBox", {}), width, height)
            pose = detail.get("Pose", {})
            faces.append(
                FaceObservation(
                    box=box,
                    score=float(detail.get("Confidence", 0.0)) / 100,
                    landmarks=_landmarks(detail, width, height),
                    yaw=float(pose.get("Yaw", 0.0)),
                    pitch=float(pose.get("Pitch", 0.0)),
                    roll=float(pose.get("Roll", 0.0)),
                    brightness=face_brightness(gray, box),
                    sharpness=face_sharpness(gray, box),
                    face_fraction=float(detail.get("BoundingBox", {}).get("Height", 0.0)),
                )
            )
        faces.sort(key=lambda f: f.box[2] * f.box[3], reverse=True)
        return faces

    def template(
        self,
        image_bgr: np.ndarray,
        face: FaceObservation,
        *,
        image_key: str | None = None,
        encoded: bytes | None = None,
    ) -> FaceTemplate:
        """The reference is the photo itself, already stored in the bucket under image_key."""
        if not image_key:
            raise ValueError("a Rekognition template is the S3 key of the reference photo: pass image_key")
        return FaceTemplate(engine=self.name, vector=None, image_key=image_key)

    def similarity(
        self, template: FaceTemplate, image_bgr: np.ndarray, face: FaceObservation, *, encoded: bytes | None = None
    ) -> float:
        """CompareFaces similarity / 100 of the target face that overlaps `face` (else the best one); 0.0 if none."""
        if template.engine != self.name or not template.image_key:
            raise ValueError(f"template was made by engine {template.engine!r}, not by {self.name!r} with a key")
        image = as_bgr(image_bgr)
        try:
            response = self._client.compare_faces(
                SourceImage={"S3Object": {"Bucket": self._bucket, "Name": template.image_key}},
                TargetImage={"Bytes": self._bytes(image, encoded)},
                SimilarityThreshold=0.0,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidParameterException":
                return 0.0  # Rekognition found no face to compare in one of the images
            raise
        matches = response.get("FaceMatches", [])
        if not matches:
            return 0.0
        height, width = image.shape[:2]
        overlap = [
            (_iou(face.box, _pixel_box(m["Face"]["BoundingBox"], width, height)), m)
            for m in matches
            if "BoundingBox" in m.get("Face", {})
        ]
        same_face = [m for iou, m in overlap if iou >= _MIN_OVERLAP]
        return max(float(m.get("Similarity", 0.0)) for m in same_face or matches) / 100
