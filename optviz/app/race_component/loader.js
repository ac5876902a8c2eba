// The race component's entry: a few lines sent with every rerun. The drawing code (race.js) comes
// once per session inside the data, as a blob named by its hash; it is imported from memory and
// kept for the page's life, so a rerun never carries it again.
const MODULES = new Map(); // code blob id -> Promise of the module

export default function (component) {
  const { data, setTriggerValue } = component;
  if (!data || !data.code) return undefined;
  const { [data.code]: source, ...blobs } = data.blobs || {};
  if (source !== undefined && !MODULES.has(data.code)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    MODULES.set(data.code, import(url));
  }
  const module = MODULES.get(data.code);
  if (!module) {
    setTriggerValue("missing", [data.code]);
    return undefined;
  }
  let cleanup;
  module.then((m) => { cleanup = m.default({ ...component, data: { ...data, blobs } }); });
  return () => cleanup && cleanup();
}
