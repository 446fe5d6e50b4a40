/**
 * Identity check: a face photo inside an oval guide, then the ID document; the server's verdict in the candidate's
 * language. The server decides asynchronously: "checking…" while the check is pending (polled every second, given up
 * after a minute with a message).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, uploadPresigned } from "../shared/api/client";
import type { EnrollmentPhoto, EnrollmentView } from "../shared/api/types";
import { errorText, lang, pick, t } from "../shared/i18n/i18n";
import { openCamera, snapshot, videoOf } from "../shared/media/camera";
import { Button, Heading, Notice } from "../shared/ui/components";
import { DecisionTimeout, waitForDecision } from "./identityCheck";
import type { Sitting } from "./sitting";

const GUIDES: Record<EnrollmentPhoto, string[]> = {
  selfie: ["identity.selfie_tip_straight", "identity.selfie_tip_light", "identity.selfie_tip_uncovered", "identity.selfie_tip_alone"],
  id_document: ["identity.doc_tip_frame", "identity.doc_tip_glare", "identity.doc_tip_photo"],
};

export function Identity({ sitting, onNext }: { sitting: Sitting; onNext: () => void }) {
  const [photo, setPhoto] = useState<EnrollmentPhoto>("selfie");
  const [shots, setShots] = useState<Partial<Record<EnrollmentPhoto, { blob: Blob; url: string }>>>({});
  const [verdict, setVerdict] = useState<EnrollmentView | null>(null);
  const [busy, setBusy] = useState(false);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<(() => string) | null>(null);
  const preview = useRef<HTMLVideoElement>(null);
  const shot = shots[photo];

  const gone = useRef(false);
  useEffect(
    () => () => {
      gone.current = true; // stop polling when the screen closes
    },
    [],
  );
  useEffect(() => {
    if (!sitting.camera) void openCamera().then((stream) => (sitting.camera = stream)).catch(() => setError(() => () => t("fix.camera_missing.title")));
  }, []);
  useEffect(() => {
    if (preview.current && sitting.camera && preview.current.srcObject !== sitting.camera)
      preview.current.srcObject = sitting.camera;
  });

  const take = async () => {
    if (!sitting.camera) return;
    // The preview the candidate sees is the frame we take (it may still be starting after a retake: wait up to
    // 2 s for its first frame); a detached video only if the preview never gets ready.
    let video = preview.current;
    for (let i = 0; i < 20 && (!video || video.readyState < 2); i++) {
      await new Promise((r) => setTimeout(r, 100));
      video = preview.current;
    }
    if (!video || video.readyState < 2) {
      video = videoOf(sitting.camera);
      await new Promise((r) => setTimeout(r, 500));
    }
    const blob = await snapshot(video, 1280, 0.92);
    if (blob) setShots((prev) => ({ ...prev, [photo]: { blob, url: URL.createObjectURL(blob) } }));
  };
  const upload = async (kind: EnrollmentPhoto) => {
    const post = await api.presignEnrollment(sitting.exam.exam_id, kind);
    const status = await uploadPresigned(post, shots[kind]!.blob, `${kind}.jpg`);
    if (status < 200 || status >= 300) throw new Error("upload");
    return post.key;
  };
  const verify = async () => {
    setBusy(true);
    setError(null);
    setVerdict(null); // the previous verdict must not stand while this one is pending
    try {
      const examId = sitting.exam.exam_id;
      const queued = await api.verifyEnrollment(examId, await upload("selfie"), await upload("id_document"));
      setChecking(queued.status === "pending");
      const view = await waitForDecision(queued, () => api.enrollmentStatus(examId), { cancelled: () => gone.current });
      setChecking(false);
      setVerdict(view);
      if (view.status === "rejected") {
        // Retake what was refused: a reason about the match ("both") refuses both photos.
        const refused = (kind: EnrollmentPhoto) => view.reasons.some((r) => r.photo === kind || r.photo === "both");
        const retake = (["selfie", "id_document"] as const).filter(refused);
        const again = retake.length ? retake : (["selfie", "id_document"] as const);
        setShots((prev) => Object.fromEntries(Object.entries(prev).filter(([kind]) => !again.includes(kind as never))));
        setPhoto(again[0]);
      }
    } catch (e) {
      setError(() => () => (e instanceof DecisionTimeout ? t("identity.timeout") : errorText(e)));
    } finally {
      setChecking(false);
      setBusy(false);
    }
  };

  if (verdict && verdict.status !== "rejected") {
    return (
      <div class="narrow">
        <Heading caption={pick(sitting.exam.title)}>{t("identity.title")}</Heading>
        <Notice kind="success" title={t("identity.approved")} live />
        <Button onClick={onNext}>{t("common.continue")}</Button>
      </div>
    );
  }
  const titleKey = photo === "selfie" ? "identity.selfie_title" : "identity.doc_title";
  return (
    <>
      <Heading caption={`${pick(sitting.exam.title)} · ${t("identity.title")}`}>{t(titleKey)}</Heading>
      {verdict?.status === "rejected" && (
        <Notice kind="error" title={t("identity.rejected")} live>
          <ul class="list">
            {verdict.reasons.map((r) => (
              <li key={`${r.photo}-${r.code}`}>{r.message[lang()] || r.message.ru}</li>
            ))}
          </ul>
        </Notice>
      )}
      {error && <Notice kind="error" title={error()} live />}
      {checking && (
        <Notice kind="info" title={t("identity.checking")} live>
          {t("identity.checking_hint")}
        </Notice>
      )}
      <div class="check-layout">
        <ul class="list">
          {GUIDES[photo].map((key) => (
            <li key={key}>{t(key)}</li>
          ))}
        </ul>
        <div>
          <div class="guide-frame">
            {shot ? (
              <img src={shot.url} alt={t("identity.captured_alt")} />
            ) : (
              <video
                ref={preview}
                class={photo === "id_document" ? "unmirrored" : undefined}
                autoPlay
                muted
                playsInline
                aria-label={t("check.preview")}
              />
            )}
            <div class={`guide ${photo === "selfie" ? "guide--oval" : "guide--card"}`} aria-hidden="true" />
          </div>
          {!shot && <Button onClick={() => void take()}>{t("identity.take")}</Button>}
          {shot && (
            <>
              {photo === "selfie" ? (
                <Button onClick={() => setPhoto("id_document")}>{t("identity.use_photo")}</Button>
              ) : (
                <Button onClick={() => void verify()} busy={busy}>
                  {t("identity.send")}
                </Button>
              )}
              <Button variant="secondary" onClick={() => setShots((prev) => ({ ...prev, [photo]: undefined }))}>
                {t("identity.retake")}
              </Button>
            </>
          )}
        </div>
      </div>
    </>
  );
}
