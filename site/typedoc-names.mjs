// TypeDoc names each module after its path under src/ ("adapters/express");
// users import it as a package subpath ("cloakroom-sessions/express").
import { Converter, ReflectionKind } from "typedoc";

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      if (mod.name === "index") mod.name = "cloakroom-sessions";
      else mod.name = `cloakroom-sessions/${mod.name.replace(/^adapters\//, "")}`;
    }
  });
}
