/**
 * A simulated OpenAI in a process of its own, for benches that time the gateway's work apart from the simulator's:
 * prints its URL (with `/v1`) on stdout, then serves until killed.
 */
import { startOpenAiSimulator } from "../local/simulators/openai";

const simulator = await startOpenAiSimulator({ jobLatencyMs: Number(process.env.SIM_JOB_LATENCY_MS ?? 500) });
console.log(simulator.url);
