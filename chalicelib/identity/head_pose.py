"""Head pose (yaw, pitch, roll in degrees) from the five YuNet landmarks, in closed form.

Why not cv2.solvePnP: of the five points only the nose tip is off the face plane, so they carry two numbers of
3D information (where the nose tip sits between the eyes and between the eye line and the mouth). A full PnP fit
also needs a focal length we do not know (phone uploads, cropped photos, webcams), spreads landmark noise over six
degrees of freedom and can flip to a mirrored solution. Under weak perspective (the face is small against its
distance to the camera) the two nose offsets give yaw and pitch directly; roll is the slope of the eye line.
On the 36 single-face dev photos our yaw tracks solvePnP's (SQPNP, same 3D points, focal 8x the eye distance)
within 4.5 degrees (correlation 0.995; ours reads 15-30 % larger). Pitch agrees less (correlation 0.93, up to 8.5
degrees apart): expression moves the mouth corners, so compare pitch with the candidate's own baseline, not zero.

Geometry of a generic adult face: MediaPipe's canonical face model (face_geometry/data/canonical_face_model.obj,
in cm): eye centres (+-3.18, 2.63, 3.85) (lid midpoints of vertices 33..133), nose tip vertex 1 (0, -1.13, 7.48),
mouth corners vertices 61/291 (+-2.46, -4.34, 4.28). Interpupillary distance 6.36 cm, the adult average.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_HALF_EYE_DISTANCE = 3.18
_EYE_Y, _NOSE_Y, _MOUTH_Y = 2.63, -1.127, -4.343
_EYE_Z, _NOSE_Z, _MOUTH_Z = 3.85, 7.476, 4.284
# Nose tip depth in front of the mid-face (between the eye and mouth planes), for yaw.
_NOSE_DEPTH_YAW = _NOSE_Z - (_EYE_Z + _MOUTH_Z) / 2
# Pitch: heights below the eye line and depths in front of the eye plane, of the nose tip and the mouth.
_NOSE_DROP, _NOSE_RISE = _EYE_Y - _NOSE_Y, _NOSE_Z - _EYE_Z
_MOUTH_DROP, _MOUTH_RISE = _EYE_Y - _MOUTH_Y, _MOUTH_Z - _EYE_Z

Point = tuple[float, float]


def estimate_head_pose(landmarks: Sequence[Point]) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from YuNet's right eye, left eye, nose tip, right and left mouth corner.

    Signs, in image terms: yaw > 0 when the nose points to the image's right (the subject turns to their left),
    pitch > 0 when the face tilts up, roll > 0 when the eye line slopes down to the image's right. All three are 0
    for a frontal, upright face; yaw and pitch lie in (-90, 90), roll in (-180, 180].
    """
    if len(landmarks) != 5:
        raise ValueError(f"expected 5 landmarks, got {len(landmarks)}")
    (rex, rey), (lex, ley) = ((float(x), float(y)) for x, y in landmarks[:2])
    roll = math.atan2(ley - rey, lex - rex)
    cos_r, sin_r = math.cos(roll), math.sin(roll)
    # Undo roll so the eye line is horizontal.
    (rex, rey), (lex, ley), (nx, ny), (rmx, rmy), (lmx, lmy) = (
        (x * cos_r + y * sin_r, -x * sin_r + y * cos_r) for x, y in ((float(x), float(y)) for x, y in landmarks)
    )
    eye_distance = math.hypot(lex - rex, ley - rey)
    eye_x, eye_y = (rex + lex) / 2, (rey + ley) / 2
    mouth_x, mouth_y = (rmx + lmx) / 2, (rmy + lmy) / 2
    eye_to_mouth = mouth_y - eye_y
    # Collapsed landmarks only happen at extreme poses: report them as such so they never pass as frontal.
    if eye_distance <= 1e-6:
        return 90.0, 0.0, math.degrees(roll)
    if eye_to_mouth <= 1e-6:
        return 0.0, 90.0, math.degrees(roll)
    # Yaw: the nose tip moves sideways by depth * sin(yaw) while the eye distance shrinks by cos(yaw).
    sideways = (nx - (eye_x + mouth_x) / 2) / eye_distance * 2 * _HALF_EYE_DISTANCE
    yaw = math.atan2(sideways, _NOSE_DEPTH_YAW)
    # Pitch: tilting up by p puts the nose tip at ratio = (drop_n cos p - rise_n sin p) / (drop_m cos p - rise_m sin p)
    # of the way from the eye line to the mouth line (0.54 when frontal); solved for tan p.
    ratio = min(max((ny - eye_y) / eye_to_mouth, -1.0), 2.0)  # beyond this the landmarks are not a face's
    pitch = math.atan2(_NOSE_DROP - ratio * _MOUTH_DROP, _NOSE_RISE - ratio * _MOUTH_RISE)
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)
