/** The candidate's path, one screen at a time: cabinet → language → rules → check → identity → blocks → share → test. */
import { useRef, useState } from "preact/hooks";
import type { Auth } from "../shared/api/client";
import type { AdmittedExam } from "../shared/api/types";
import { useLang } from "../shared/i18n/i18n";
import { Layout } from "../shared/ui/Layout";
import { Blocks } from "./Blocks";
import { Cabinet } from "./Cabinet";
import { Identity } from "./Identity";
import { LanguageChoice } from "./LanguageChoice";
import { OtherClient } from "./OtherClient";
import { Result } from "./Result";
import { Rules } from "./Rules";
import { ScreenShare } from "./ScreenShare";
import { type Sitting, type Step, release, rememberSitting } from "./sitting";
import { SystemCheck } from "./SystemCheck";
import { Terminated } from "./Terminated";
import { TestScreen } from "./TestScreen";

export function CandidateApp({ auth, onLogout }: { auth: Auth; onLogout: () => void }) {
  useLang();
  const [step, setStep] = useState<Step>({ name: "cabinet" });
  const sitting = useRef<Sitting | null>(null);

  const begin = (exam: AdmittedExam) => {
    release(sitting.current);
    sitting.current = { exam, camera: null, microphone: null, screen: null, session: null, monitor: null };
    setStep({ name: "language" });
  };
  /** Reload or "continue": the session exists, the rules were accepted; media must be reopened. */
  const resume = (exam: AdmittedExam) => {
    release(sitting.current);
    sitting.current = { exam, camera: null, microphone: null, screen: null, session: null, monitor: null };
    rememberSitting(exam.exam_id);
    setStep({ name: "share", blockId: null });
  };
  const toCabinet = () => {
    release(sitting.current);
    sitting.current = null;
    rememberSitting(null);
    setStep({ name: "cabinet" });
  };
  const afterCheck = () => {
    const s = sitting.current!;
    if (s.exam.require_identity && !s.exam.session) setStep({ name: "identity" });
    else afterIdentity();
  };
  const afterIdentity = () => {
    const s = sitting.current!;
    if (s.exam.blocks.length > 1) setStep({ name: "blocks" });
    else setStep({ name: "share", blockId: null });
  };
  const openBlock = (blockId: string | null) => {
    const s = sitting.current!;
    setStep(s.monitor && s.screen ? { name: "test", blockId } : { name: "share", blockId });
  };

  /** Another tab or device holds the exam: this one stops recording and sending anything. */
  const otherClient = () => {
    release(sitting.current);
    if (sitting.current) sitting.current.monitor = null;
    rememberSitting(null);
    setStep({ name: "other_client" });
  };

  /** A proctor ended the test: stop monitoring the same way finishing does, then say so with the reason. */
  const terminated = (reason: string) => {
    release(sitting.current);
    if (sitting.current) sitting.current.monitor = null;
    rememberSitting(null);
    setStep({ name: "terminated", reason });
  };

  const s = sitting.current;
  // No "log out" while monitoring runs: leaving must go through "Finish testing".
  const inTest = step.name === "test" || step.name === "share" || !!s?.monitor;
  let body;
  switch (step.name) {
    case "cabinet":
      body = <Cabinet onStart={begin} onResume={resume} />;
      break;
    case "language":
      body = <LanguageChoice exam={s!.exam} onNext={() => setStep({ name: "rules" })} onBack={toCabinet} />;
      break;
    case "rules":
      body = <Rules exam={s!.exam} onNext={() => setStep({ name: "check" })} onBack={toCabinet} />;
      break;
    case "check":
      body = <SystemCheck sitting={s!} onNext={afterCheck} />;
      break;
    case "identity":
      body = <Identity sitting={s!} onNext={afterIdentity} />;
      break;
    case "blocks":
      body = <Blocks sitting={s!} onOpen={openBlock} />;
      break;
    case "share":
      body = (
        <ScreenShare
          sitting={s!}
          onReady={() => setStep({ name: "test", blockId: step.blockId })}
          onOtherClient={otherClient}
        />
      );
      break;
    case "test":
      return (
        <TestScreen
          key={step.blockId ?? "all"}
          sitting={s!}
          blockId={step.blockId}
          onBlocks={() => setStep({ name: "blocks" })}
          onFinished={() => {
            release(s); // the camera, microphone and screen share end with the test
            s!.monitor = null;
            setStep({ name: "result" });
          }}
          onOtherClient={otherClient}
          onTerminated={terminated}
        />
      );
    case "terminated":
      body = <Terminated reason={step.reason} onCabinet={toCabinet} />;
      break;
    case "result":
      body = <Result sitting={s!} onCabinet={toCabinet} />;
      break;
    case "other_client":
      body = <OtherClient onCabinet={toCabinet} />;
      break;
  }
  return (
    <Layout user={auth.full_name || auth.user_id} onLogout={inTest ? undefined : onLogout}>
      {body}
    </Layout>
  );
}
