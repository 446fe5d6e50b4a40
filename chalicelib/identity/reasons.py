"""Why an identity check was rejected: reason codes and the fix-it messages shown to candidates (kk/ru/en).

No image library here: the API builds the candidate's view of a decision from these, the identity checker (a
separate function, functions/identity_checker/) makes the decision.
"""

from __future__ import annotations

from typing import Any

# Shown to the candidate: what is wrong and how to fix it, in Kazakh, Russian and English.
MESSAGES: dict[str, dict[str, str]] = {
    "no_face": {
        "kk": "Бет табылмады. Жарық жерде камераға тура қараңыз.",
        "ru": "Лицо не найдено. Посмотрите прямо в камеру при хорошем освещении.",
        "en": "No face found. Look straight into the camera in good light.",
    },
    "multiple_faces": {
        "kk": "Кадрда бірнеше бет бар. Кадрда тек сіз ғана болуыңыз керек.",
        "ru": "В кадре несколько лиц. В кадре должны быть только вы.",
        "en": "More than one face in the photo. Make sure only you are in the frame.",
    },
    "face_too_small": {
        "kk": "Бет тым кішкентай көрінеді. Камераға жақындаңыз.",
        "ru": "Лицо слишком маленькое. Придвиньтесь ближе к камере.",
        "en": "The face is too small. Move closer to the camera.",
    },
    "not_frontal": {
        "kk": "Камераға тура қараңыз, басыңызды бұрмаңыз.",
        "ru": "Смотрите прямо в камеру, не поворачивайте голову.",
        "en": "Look straight into the camera without turning your head.",
    },
    "too_dark": {
        "kk": "Фото тым қараңғы. Жарықты қосыңыз немесе бетіңізді терезеге бұрыңыз.",
        "ru": "Фото слишком тёмное. Включите свет или повернитесь лицом к окну.",
        "en": "The photo is too dark. Turn on a light or face a window.",
    },
    "overexposed": {
        "kk": "Бетке жарық тым қатты түсіп тұр. Жарық көзінен алыстаңыз.",
        "ru": "Лицо засвечено. Отойдите от яркого источника света.",
        "en": "Too much light on the face. Move away from the bright light.",
    },
    "blurry": {
        "kk": "Фото бұлыңғыр. Қозғалмай тұрыңыз және камера объективін сүртіңіз.",
        "ru": "Фото размыто. Не двигайтесь и протрите объектив камеры.",
        "en": "The photo is blurry. Hold still and wipe the camera lens.",
    },
}

# The document's face does not match the selfie (decided after both photos passed their gates).
MISMATCH_MESSAGE = {
    "kk": "Құжаттағы фото сіздің бетіңізге сәйкес келмейді. Өз құжатыңызды түсіріңіз.",
    "ru": "Фото в документе не совпадает с вашим лицом. Сфотографируйте свой документ.",
    "en": "The photo in the document does not match your face. Photograph your own document.",
}
# The photo passed the API's header check but its pixels did not decode (found by the identity checker).
UNREADABLE_MESSAGE = {
    "kk": "Суретті оқу мүмкін емес. Қайта түсіріңіз.",
    "ru": "Фото не читается. Сделайте его снова.",
    "en": "The photo cannot be read. Take it again.",
}
_OTHER = {"face_mismatch": MISMATCH_MESSAGE, "unreadable": UNREADABLE_MESSAGE}


def reason(photo: str, code: str) -> dict[str, Any]:
    """One reason as the API shows it: which photo, the code, the message in every language."""
    message = _OTHER.get(code) or MESSAGES[code]
    return {"photo": photo, "code": code, "message": dict(message)}
