// Prints where a V8 CPU profile of the jsii kernel spent its time: each
// phase's inclusive time (a sample counts once per phase however deep the
// phase's function recurses) and that time less the modules the phase
// loaded (the part that a faster module loader could not remove), then the
// functions with the most self time.
"use strict";
const profile = JSON.parse(require("fs").readFileSync(process.argv[2]));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
const time = new Map();
profile.samples.forEach((id, i) => time.set(id, (time.get(id) || 0) + (profile.timeDeltas[i] || 0)));
const ms = (us) => (us / 1000).toFixed(0).padStart(6) + " ms";
const phases = [
	["template validation: engine start", "_singletonInstance"],
	["template validation: templates", "doInvokeValidationPlugins"],
	["synthesis (validation included)", "synth"],
	["aspects (cdk-nag's rules)", "invokeAspectsV2"],
	["module loading", "require"],
	["construct creation (jsii create)", "_Kernel_create"],
	["waiting for the Go app", "readLine"], // the kernel's read of its next request
	["garbage collection", "(garbage collector)"],
];
const inclusive = new Map();
const loading = new Map(); // inclusive time spent under require
const self = new Map();
let total = 0;
let own = 0; // neither loading a module nor waiting for the Go side
for (const [id, t] of time) {
	total += t;
	const frame = nodes.get(id).callFrame;
	const where = frame.url.startsWith("wasm") ? "wasm (the validation engine)" : `${frame.functionName || "(anonymous)"} ${frame.url.replace(/.*\/node_modules\//, "")}`;
	self.set(where, (self.get(where) || 0) + t);
	// From the sample's function up to the root: the functions above a
	// require frame were loading a module.
	const seen = new Set();
	const loadingIn = new Set();
	for (let x = id, below = false; x !== undefined; x = parent.get(x)) {
		const name = nodes.get(x).callFrame.functionName;
		seen.add(name);
		if (below) loadingIn.add(name);
		below ||= name === "require";
	}
	if (!seen.has("require") && !seen.has("readLine")) own += t;
	for (const name of seen) inclusive.set(name, (inclusive.get(name) || 0) + t);
	for (const name of loadingIn) loading.set(name, (loading.get(name) || 0) + t);
}
console.log(`${ms(total)}  the kernel's main thread in all`);
console.log(`${ms(own)}  of it neither loading modules nor waiting for the Go app`);
console.log("phase (inclusive)  less the modules it loaded");
for (const [label, fn] of phases) {
	const t = inclusive.get(fn) || 0;
	const rest = fn === "require" ? "" : ms(t - (loading.get(fn) || 0));
	console.log(`${ms(t)}  ${rest || "         "}  ${label}`);
}
console.log("self time, top 10:");
for (const [where, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`${ms(t)}  ${where}`);
