"""The violation types the platform raises, with their default severity."""

SEVERITY_WEIGHT = {"low": 1, "medium": 3, "high": 10}

ANALYZER_TYPES = {
    "no_face": "medium",
    "multiple_faces": "high",
    "face_mismatch": "high",
    "face_covered": "medium",
    "looking_away": "medium",
    "poor_lighting": "low",
    "speech_detected": "medium",
}

SERVER_TYPES = {
    "second_client": "high",  # the session was opened in a second live tab or device
    # silence (violations/silence.py): the page beats, but no usable media arrives for a policy window
    "camera_missing": "high",
    "audio_missing": "medium",
    "media_rejected": "high",  # uploads arrive but every one is refused (empty, oversized, not a JPEG, …)
    # evidence integrity (the analyzer): another object version under a key that was already analysed
    "media_reupload": "high",
}

BROWSER_TYPES = {
    "tab_hidden": "medium",
    "window_blur": "low",
    "fullscreen_exit": "medium",
    "copy": "low",
    "cut": "low",
    "paste": "medium",
    "context_menu": "low",
    "second_screen": "high",
    "screen_share_ended": "high",
    "camera_ended": "high",
    "microphone_ended": "high",
    "microphone_muted": "medium",
}
