"""RekognitionFaceEngine with botocore's Stubber: request shapes (checked against the service model) and mapping."""

from __future__ import annotations

import boto3
import cv2
import numpy as np
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.identity.face_detector import decode_image
from chalicelib.identity.face_engine import FaceObservation, FaceTemplate
from chalicelib.identity.quality import QualityLimits, assess_enrollment, face_brightness, face_sharpness
from chalicelib.identity.rekognition_engine import RekognitionFaceEngine
from tests.paths import FACES_DIR

BUCKET = "proctor-media"
REFERENCE_KEY = "enrollment/exam-1_cand-7/selfie/20250301T101500123Z-0123456789ab.jpg"


def face_detail(
    box: dict, eyes: list, nose: tuple, mouth: list, yaw: float, pitch: float, roll: float, confidence: float = 99.99
) -> dict:
    """A DetectFaces FaceDetail as Rekognition returns it with Attributes=["ALL"] (abridged: no Emotions)."""
    landmarks = [
        {"Type": "eyeLeft", "X": eyes[0][0], "Y": eyes[0][1]},
        {"Type": "eyeRight", "X": eyes[1][0], "Y": eyes[1][1]},
        {"Type": "mouthLeft", "X": mouth[0][0], "Y": mouth[0][1]},
        {"Type": "mouthRight", "X": mouth[1][0], "Y": mouth[1][1]},
        {"Type": "nose", "X": nose[0], "Y": nose[1]},
        {"Type": "leftPupil", "X": eyes[0][0] + 0.001, "Y": eyes[0][1]},
        {"Type": "chinBottom", "X": nose[0], "Y": box["Top"] + box["Height"] * 0.98},
    ]
    return {
        "BoundingBox": box,
        "AgeRange": {"Low": 45, "High": 53},
        "Smile": {"Value": True, "Confidence": 97.1},
        "Eyeglasses": {"Value": False, "Confidence": 99.2},
        "Sunglasses": {"Value": False, "Confidence": 99.9},
        "Gender": {"Value": "Male", "Confidence": 99.6},
        "Beard": {"Value": False, "Confidence": 93.5},
        "Mustache": {"Value": False, "Confidence": 98.7},
        "EyesOpen": {"Value": True, "Confidence": 98.0},
        "MouthOpen": {"Value": True, "Confidence": 90.4},
        "Landmarks": landmarks,
        "Pose": {"Roll": roll, "Yaw": yaw, "Pitch": pitch},
        "Quality": {"Brightness": 81.3, "Sharpness": 92.2},
        "Confidence": confidence,
        "FaceOccluded": {"Value": False, "Confidence": 99.5},
        "EyeDirection": {"Yaw": 2.1, "Pitch": -6.3, "Confidence": 99.0},
    }


OBAMA = face_detail(
    {"Width": 0.2631, "Height": 0.2893, "Left": 0.4075, "Top": 0.08},
    eyes=[(0.4832, 0.1892), (0.6097, 0.1888)],
    nose=(0.5451, 0.2359),
    mouth=[(0.4842, 0.2799), (0.6018, 0.2817)],
    yaw=-1.87,
    pitch=6.52,
    roll=-0.43,
)
# group__two_people.jpg: the right-hand face is the larger one; Rekognition lists them in its own order.
TWO_PEOPLE = [
    face_detail(
        {"Width": 0.1269, "Height": 0.2989, "Left": 0.2139, "Top": 0.0454},
        eyes=[(0.3207, 0.1501), (0.2571, 0.1472)],
        nose=(0.2938, 0.205),  # names swapped on purpose
        mouth=[(0.3117, 0.2554), (0.2572, 0.2521)],
        yaw=11.2,
        pitch=-3.4,
        roll=1.9,
    ),
    face_detail(
        {"Width": 0.1327, "Height": 0.3115, "Left": 0.6984, "Top": 0.0728},
        eyes=[(0.7454, 0.2012), (0.804, 0.1998)],
        nose=(0.7788, 0.2685),
        mouth=[(0.7481, 0.3061), (0.7953, 0.3085)],
        yaw=9.0,
        pitch=-12.1,
        roll=-0.7,
    ),
]


def compare_face(box: dict, similarity: float) -> dict:
    return {
        "Similarity": similarity,
        "Face": {
            "BoundingBox": box,
            "Confidence": 99.98,
            "Landmarks": [
                {"Type": "eyeLeft", "X": box["Left"] + 0.3 * box["Width"], "Y": box["Top"] + 0.35 * box["Height"]}
            ],
            "Pose": {"Roll": 1.2, "Yaw": 4.5, "Pitch": -2.0},
            "Quality": {"Brightness": 77.0, "Sharpness": 89.9},
        },
    }


def compare_response(matches: list[dict]) -> dict:
    return {
        "SourceImageFace": {"BoundingBox": OBAMA["BoundingBox"], "Confidence": 99.99},
        "FaceMatches": matches,
        "UnmatchedFaces": [],
    }


@pytest.fixture
def rekognition():
    client = boto3.client(
        "rekognition", region_name="eu-central-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def load(name: str) -> tuple[np.ndarray, bytes]:
    data = (FACES_DIR / name).read_bytes()
    return decode_image(data), data


def face_at_obama_box(image: np.ndarray) -> FaceObservation:
    height, width = image.shape[:2]
    return FaceObservation(
        box=(0.4075 * width, 0.08 * height, 0.2631 * width, 0.2893 * height),
        score=0.99,
        landmarks=(),
        yaw=0.0,
        pitch=0.0,
        roll=0.0,
        brightness=120.0,
        sharpness=300.0,
        face_fraction=0.2893,
    )


def test_observe_maps_detect_faces_to_pixel_observations(rekognition) -> None:
    client, stubber = rekognition
    image, data = load("obama__obama.jpg")  # 820 x 1024
    stubber.add_response(
        "detect_faces",
        {"FaceDetails": [OBAMA], "OrientationCorrection": "ROTATE_0"},
        {"Image": {"Bytes": data}, "Attributes": ["ALL"]},
    )
    (face,) = RekognitionFaceEngine(client, BUCKET).observe(image, data)
    assert face.box == pytest.approx((0.4075 * 820, 0.08 * 1024, 0.2631 * 820, 0.2893 * 1024))
    expected = [(0.4832, 0.1892), (0.6097, 0.1888), (0.5451, 0.2359), (0.4842, 0.2799), (0.6018, 0.2817)]
    assert np.allclose(face.landmarks, np.array(expected) * (820, 1024))
    assert (face.yaw, face.pitch, face.roll) == (-1.87, 6.52, -0.43)
    assert face.score == pytest.approx(0.9999) and face.face_fraction == pytest.approx(0.2893)
    # Lighting and sharpness are measured locally on the same box, on the OpenCV engine's scale.
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert face.brightness == pytest.approx(face_brightness(gray, face.box))
    assert face.sharpness == pytest.approx(face_sharpness(gray, face.box))
    assert assess_enrollment([face], QualityLimits()) == []


def test_observe_orders_faces_by_size_and_eyes_by_image_side(rekognition) -> None:
    client, stubber = rekognition
    image, data = load("group__two_people.jpg")
    stubber.add_response("detect_faces", {"FaceDetails": TWO_PEOPLE}, {"Image": {"Bytes": data}, "Attributes": ["ALL"]})
    faces = RekognitionFaceEngine(client, BUCKET).observe(image, data)
    assert [round(f.face_fraction, 4) for f in faces] == [0.3115, 0.2989]
    smaller = faces[1]
    right_eye, left_eye, _, right_mouth, left_mouth = smaller.landmarks
    assert right_eye[0] < left_eye[0] and right_mouth[0] < left_mouth[0]  # the subject's right is the image's left
    assert assess_enrollment(faces, QualityLimits()) == ["multiple_faces"]


def test_observe_without_encoded_bytes_sends_a_jpeg_of_the_image(rekognition) -> None:
    client, stubber = rekognition
    image, _ = load("noface__dog.jpg")
    stubber.add_response("detect_faces", {"FaceDetails": []}, {"Image": {"Bytes": ANY}, "Attributes": ["ALL"]})
    assert RekognitionFaceEngine(client, BUCKET).observe(image) == []


def test_template_is_the_reference_photo_key() -> None:
    engine = RekognitionFaceEngine(client=None, bucket=BUCKET)
    image, _ = load("obama__obama.jpg")
    template = engine.template(image, None, image_key=REFERENCE_KEY)
    assert template == FaceTemplate(engine="rekognition", vector=None, image_key=REFERENCE_KEY)
    with pytest.raises(ValueError):
        engine.template(image, None)


def test_similarity_compares_the_reference_in_s3_with_the_frame_bytes(rekognition) -> None:
    client, stubber = rekognition
    engine = RekognitionFaceEngine(client, BUCKET)
    image, data = load("obama__obama1.jpg")
    stubber.add_response("detect_faces", {"FaceDetails": [OBAMA]}, {"Image": {"Bytes": data}, "Attributes": ["ALL"]})
    (face,) = engine.observe(image, data)
    stubber.add_response(
        "compare_faces",
        compare_response([compare_face(OBAMA["BoundingBox"], 99.87)]),
        {
            "SourceImage": {"S3Object": {"Bucket": BUCKET, "Name": REFERENCE_KEY}},
            "TargetImage": {"Bytes": data},
            "SimilarityThreshold": 0.0,
        },
    )
    similarity = engine.similarity(FaceTemplate("rekognition", None, REFERENCE_KEY), image, face, encoded=data)
    assert similarity == pytest.approx(0.9987) and similarity >= engine.match_threshold


def test_similarity_scores_the_face_asked_about_when_several_match(rekognition) -> None:
    client, stubber = rekognition
    engine = RekognitionFaceEngine(client, BUCKET)
    image, data = load("group__two_people.jpg")
    stubber.add_response("detect_faces", {"FaceDetails": TWO_PEOPLE}, {"Image": {"Bytes": data}, "Attributes": ["ALL"]})
    larger, smaller = engine.observe(image, data)
    matches = [compare_face(TWO_PEOPLE[0]["BoundingBox"], 98.5), compare_face(TWO_PEOPLE[1]["BoundingBox"], 3.2)]
    template = FaceTemplate("rekognition", None, REFERENCE_KEY)
    for face, expected in ((larger, 0.032), (smaller, 0.985)):
        stubber.add_response(
            "compare_faces",
            compare_response(matches),
            {
                "SourceImage": {"S3Object": {"Bucket": BUCKET, "Name": REFERENCE_KEY}},
                "TargetImage": {"Bytes": data},
                "SimilarityThreshold": 0.0,
            },
        )
        assert engine.similarity(template, image, face, encoded=data) == pytest.approx(expected)


def test_similarity_is_zero_without_a_match_or_a_comparable_face(rekognition) -> None:
    client, stubber = rekognition
    engine = RekognitionFaceEngine(client, BUCKET)
    image, data = load("obama__obama.jpg")
    stubber.add_response("detect_faces", {"FaceDetails": [OBAMA]}, {"Image": {"Bytes": data}, "Attributes": ["ALL"]})
    (face,) = engine.observe(image, data)
    template = FaceTemplate("rekognition", None, REFERENCE_KEY)
    stubber.add_response(
        "compare_faces",
        compare_response([]),
        {
            "SourceImage": {"S3Object": {"Bucket": BUCKET, "Name": REFERENCE_KEY}},
            "TargetImage": {"Bytes": data},
            "SimilarityThreshold": 0.0,
        },
    )
    assert engine.similarity(template, image, face, encoded=data) == 0.0
    stubber.add_client_error(
        "compare_faces",
        service_error_code="InvalidParameterException",
        service_message="Request has invalid parameters",
        http_status_code=400,
    )
    assert engine.similarity(template, image, face, encoded=data) == 0.0


def test_other_service_errors_propagate(rekognition) -> None:
    client, stubber = rekognition
    engine = RekognitionFaceEngine(client, BUCKET)
    image, data = load("obama__obama.jpg")
    stubber.add_client_error("compare_faces", service_error_code="AccessDeniedException", http_status_code=403)
    face = face_at_obama_box(image)
    with pytest.raises(client.exceptions.AccessDeniedException):
        engine.similarity(FaceTemplate("rekognition", None, REFERENCE_KEY), image, face, encoded=data)


def test_opencv_templates_are_refused() -> None:
    engine = RekognitionFaceEngine(client=None, bucket=BUCKET)
    image, _ = load("obama__obama.jpg")
    with pytest.raises(ValueError):
        engine.similarity(FaceTemplate("opencv", b"\0" * 512, None), image, face_at_obama_box(image))
