/** Fix-it messages from the troubleshooting cases candidates already know: a title and numbered steps (i18n keys). */
export interface FixItKeys {
  title: string;
  steps: string[];
}

const CAMERA_OS = ["fix.os_windows_camera", "fix.os_macos_camera"];
const MIC_OS = ["fix.os_windows_microphone", "fix.os_macos_microphone"];

export const FIXITS: Record<string, FixItKeys> = {
  "browser.unsupported": { title: "fix.browser.title", steps: ["fix.browser.install", "fix.browser.open_again"] },
  "camera.blocked": {
    title: "fix.camera_blocked.title",
    steps: ["fix.site_permission_camera", ...CAMERA_OS, "fix.reload"],
  },
  "camera.not_found": {
    title: "fix.camera_missing.title",
    steps: ["fix.camera_connected", "fix.several_cameras", ...CAMERA_OS],
  },
  "camera.busy": {
    title: "fix.camera_busy.title",
    steps: ["fix.close_camera_apps", "fix.antivirus_camera", "fix.camera_connected"],
  },
  "camera.failed": {
    title: "fix.camera_missing.title",
    steps: ["fix.camera_connected", "fix.close_camera_apps", "fix.antivirus_camera", ...CAMERA_OS],
  },
  "microphone.blocked": {
    title: "fix.microphone_blocked.title",
    steps: ["fix.site_permission_microphone", ...MIC_OS, "fix.reload"],
  },
  "microphone.not_found": {
    title: "fix.microphone_missing.title",
    steps: ["fix.microphone_connected", "fix.several_microphones", ...MIC_OS],
  },
  "microphone.busy": {
    title: "fix.microphone_busy.title",
    steps: ["fix.close_microphone_apps", "fix.antivirus_microphone", "fix.microphone_connected"],
  },
  "microphone.failed": {
    title: "fix.microphone_missing.title",
    steps: ["fix.microphone_connected", "fix.close_microphone_apps", ...MIC_OS],
  },
  "upload.slow": { title: "fix.upload_slow.title", steps: ["fix.wait_network", "fix.change_network", "fix.silence_calls"] },
  "upload.unreachable": {
    title: "fix.server.title",
    steps: ["fix.check_internet", "fix.antivirus_network", "fix.other_network", "fix.proxy"],
  },
  "private.failed": { title: "fix.private.title", steps: ["fix.private.close", "fix.private.open_normal"] },
  "screen.denied": {
    title: "fix.screen_denied.title",
    steps: ["fix.screen_entire", "fix.screen_macos", "fix.screen_restart_browser"],
  },
  "screen.not_monitor": { title: "fix.screen_not_monitor.title", steps: ["fix.screen_entire", "fix.screen_not_window"] },
  "screen.unsupported": { title: "fix.browser.title", steps: ["fix.browser.install", "fix.browser.open_again"] },
  "screen.failed": {
    title: "fix.screen_denied.title",
    steps: ["fix.screen_entire", "fix.screen_macos", "fix.screen_restart_browser"],
  },
};
