/**
 * heardback from TypeScript, through Temporal's own client: start a candidacy, signal a
 * completed interview, decide, and read the status.
 *
 * Every payload goes through heardback's codec server (POST /encode, POST /decode), so names,
 * addresses and feedback reach Temporal encrypted, exactly as from heardback's own clients.
 *
 *   HEARDBACK_TEMPORAL_ADDRESS  Temporal's frontend     (default localhost:7233)
 *   HEARDBACK_TASK_QUEUE        heardback's task queue  (default heardback)
 *   HEARDBACK_CODEC_URL         the codec server        (default http://localhost:8081)
 *   HEARDBACK_CODEC_TOKEN       its bearer token        (make run: var/gateway-token)
 *   ROLE_ID, CANDIDATE_ID       ids only, never names   (default r-ts, c-ts)
 */
import { Client, Connection } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** A PayloadCodec that asks heardback's codec server to encrypt and decrypt. */
class RemoteCodec implements PayloadCodec {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.call('encode', payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return this.call('decode', payloads);
  }

  private async call(op: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> {
    const body = JSON.stringify({ payloads: payloads.map(toJson) });
    const response = await fetch(`${this.url}/${op}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.token}` },
      body,
    });
    if (!response.ok) {
      throw new Error(`codec server /${op}: HTTP ${response.status} ${await response.text()}`);
    }
    const answer = (await response.json()) as { payloads: JsonPayload[] };
    return answer.payloads.map(fromJson);
  }
}

// The remote-codec protocol's JSON form of a payload: metadata values and data in base64.
interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

function toJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) {
    if (v) metadata[k] = Buffer.from(v).toString('base64');
  }
  return { metadata, data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') };
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) {
    metadata[k] = Buffer.from(v, 'base64');
  }
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

async function main(): Promise<void> {
  const env = process.env;
  const roleId = env.ROLE_ID ?? 'r-ts';
  const candidateId = env.CANDIDATE_ID ?? 'c-ts';
  const taskQueue = env.HEARDBACK_TASK_QUEUE ?? 'heardback';
  // The workflow id is the contract's: ids only.
  const workflowId = `candidacy-${roleId}-${candidateId}`;
  // One client per candidacy, its codec at /w/<workflow id>: the codec server then seals this
  // candidacy's payloads with its own data key, so erasing the candidate makes them unreadable.
  const codecUrl = env.HEARDBACK_CODEC_URL ?? 'http://localhost:8081';
  const codec = new RemoteCodec(`${codecUrl}/w/${workflowId}`, env.HEARDBACK_CODEC_TOKEN ?? '');
  const connection = await Connection.connect({
    address: env.HEARDBACK_TEMPORAL_ADDRESS ?? 'localhost:7233',
  });
  const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
  const handle = await client.workflow.start('Candidacy', {
    taskQueue,
    workflowId,
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        role: {
          id: roleId,
          title: 'Backend Engineer',
          company: 'Acme',
          contact_email: 'hiring@acme.example',
        },
        candidate: { id: candidateId, name: 'Grace Hopper', email: 'grace@example.org' },
      },
    ],
  });
  await handle.signal('interview_completed', {
    interview_id: 'i-1',
    stage: 'technical',
    interviewer_email: 'ivy@acme.example',
    duration: 'PT1H',
    feedback: ['You explained the compiler passes clearly, with good examples.'],
  });
  const decided = await handle.executeUpdate('decide', {
    args: [{ outcome: 'advance', next_stage: 'onsite' }],
  });
  const status = await handle.query('status');
  console.log(JSON.stringify({ workflow_id: workflowId, decided, status }));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
