import { render } from "preact";
import { App } from "./App";
import { lang } from "./shared/i18n/i18n";
import "./shared/ui/styles.css";

document.documentElement.lang = lang();
render(<App />, document.getElementById("app")!);
