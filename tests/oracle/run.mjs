// Oracle driver for tests/policy_differential.rs: evaluates IAM authorization cases with
// @cloud-copilot/iam-simulate, an independent implementation of AWS's evaluation logic.
//
// The oracle is AGPL-3.0: it runs only here, out of process, during tests. nobastion never
// links, bundles or ships it.
//
// Protocol (JSON lines). Input on stdin:
//   {"type": "policy", "id": N, "doc": {...}}          a policy, referenced by id below
//   {"type": "case", "id": N, "principal": ARN, "action": "svc:Action", "resource": ARN,
//    "account": ACCOUNT, "context": {key: "v" | ["v", ...]},
//    "identity": [ids], "boundary": id|null, "scps": [[ids], ...], "session": id|null}
// Output on stdout, one line per case, in input order:
//   {"id": N, "result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied"}
//   {"id": N, "error": "message"}
//
// Cases go through runUnsafeSimulation (which returns the decision string), the package's
// public entry point that skips
// request validation: the validated runSimulation drops context keys it does not associate
// with the action and rejects AWS-owned document ARNs (empty account field), both of which
// real requests have. In version 0.1.173 runUnsafeSimulation does not pass a session policy
// on, so cases with one call `authorize`, the engine function runUnsafeSimulation itself
// calls, with the same arguments plus the session policy.

import { createInterface } from 'node:readline';
import { loadPolicy } from '@cloud-copilot/iam-policy';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { authorize } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/core_engine/CoreSimulatorEngine.js';
import { DiscoveryContextKeyConstraints } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/context_keys/discoveryContextKeyConstraints.js';
import { AwsRequestImpl } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/request/request.js';
import { RequestContextImpl } from './node_modules/@cloud-copilot/iam-simulate/dist/esm/requestContext.js';

const policies = new Map();

function named(id) {
  const doc = policies.get(id);
  if (doc === undefined) {
    throw new Error(`unknown policy id ${id}`);
  }
  return { name: `p${id}`, policy: doc };
}

function simulate(c) {
  const identityPolicies = c.identity.map(named);
  const serviceControlPolicies = c.scps.map((level, i) => ({
    orgIdentifier: `ou-level-${i}`,
    policies: level.map(named),
  }));
  const permissionBoundaryPolicies = c.boundary === null ? undefined : [named(c.boundary)];
  const request = {
    principal: c.principal,
    action: c.action,
    resource: { resource: c.resource, accountId: c.account },
    contextVariables: c.context,
  };
  if (c.session === null) {
    return runUnsafeSimulation(
      {
        request,
        identityPolicies,
        serviceControlPolicies,
        resourceControlPolicies: [],
        permissionBoundaryPolicies,
      },
      {},
    );
  }
  const load = (p) => loadPolicy(p.policy, { name: p.name });
  const analysis = authorize({
    request: new AwsRequestImpl(
      c.principal,
      { resource: c.resource, accountId: c.account },
      c.action,
      new RequestContextImpl(c.context),
    ),
    sessionPolicy: loadPolicy(policies.get(c.session), { name: 'SessionPolicy' }),
    identityPolicies: identityPolicies.map(load),
    serviceControlPolicies: serviceControlPolicies.map((l) => ({
      orgIdentifier: l.orgIdentifier,
      policies: l.policies.map(load),
    })),
    resourceControlPolicies: [],
    resourcePolicy: undefined,
    permissionBoundaries: permissionBoundaryPolicies?.map(load),
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]),
    },
    serviceSettings: { s3: { blockPublicAccess: undefined } },
  });
  return analysis.result;
}

const out = [];
const flush = () => {
  if (out.length > 0) {
    process.stdout.write(out.join(''));
    out.length = 0;
  }
};

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  if (line.trim() === '') {
    continue;
  }
  const msg = JSON.parse(line);
  if (msg.type === 'policy') {
    policies.set(msg.id, msg.doc);
    continue;
  }
  let reply;
  try {
    reply = { id: msg.id, result: simulate(msg) };
  } catch (e) {
    reply = { id: msg.id, error: String(e && e.stack ? e.stack : e) };
  }
  out.push(JSON.stringify(reply) + '\n');
  if (out.length >= 512) {
    flush();
  }
}
flush();
