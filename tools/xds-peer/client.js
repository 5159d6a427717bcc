// gRPC's own xDS client (@grpc/grpc-js-xds) as a test peer for `contour serve`.
//
// Usage:
//   node client.js [--xds-server HOST:PORT] [--bootstrap FILE] [--node-id ID] JOB
//   node client.js [--xds-server HOST:PORT] [--bootstrap FILE] [--node-id ID] --commands
// where JOB is
//   --target xds:///HOST [--count N] [--until NAME=FRAC,...] [--tolerance T]
//   [--deadline SECONDS] [--rpc-timeout SECONDS] [--concurrency C]
//
// Bootstrap: with --xds-server, writes a bootstrap JSON for that server (to --bootstrap FILE, or
// to a temporary file) and points GRPC_XDS_BOOTSTRAP at it; without it, uses the
// GRPC_XDS_BOOTSTRAP (or GRPC_XDS_BOOTSTRAP_CONFIG) already in the environment.
//
// Jobs:
//   --count N (default 200): makes N RPCs to contour.test.Echo/Who and prints one JSON object
//     of counts per backend name (failed RPCs count under "error:<CODE>"); fails if any failed.
//   --until A=1,B=0: makes batches of --count RPCs until one batch's distribution is within
//     --tolerance (default 0.1) of the wanted fractions: names not listed (and errors) must stay
//     within the tolerance of 0. Prints each batch on stderr and the last batch's counts on
//     stdout; fails if --deadline (default 30 s) passes first (no RPC starts after it; each
//     RPC has --rpc-timeout, default 10 s).
// A single job exits 0 on success, 1 on failure, 2 on a usage error.
//
// --commands: one long-lived client (one xDS stream, one channel per target, so it sees
// contour's pushed updates) runs one JOB per line of stdin, in order, and after each prints
// `RESULT <status> <counts JSON>` (status as the exit status above) on stdout. Loading the xDS
// package takes seconds on a busy machine: this pays it once for many jobs.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const USAGE = 'usage: node client.js [--xds-server HOST:PORT] [--bootstrap FILE] [--node-id ID]\n' +
    '                      (--commands | --target xds:///HOST [--count N]\n' +
    '                       [--until NAME=FRAC,...] [--tolerance T] [--deadline SECONDS]\n' +
    '                       [--rpc-timeout SECONDS] [--concurrency C])\n';

class UsageError extends Error {}

function number(flag, value, {integer = false, min = 0, max = Infinity} = {}) {
  const parsed = Number(value);
  if (value === '' || !Number.isFinite(parsed) || (integer && !Number.isInteger(parsed)) ||
      parsed < min || parsed > max) {
    const range = max === Infinity ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} needs a ${integer ? 'whole ' : ''}number ${range}`);
  }
  return parsed;
}

// "A=1,B=0" -> Map {A => 1, B => 0}.
function parseWanted(text) {
  const wanted = new Map();
  for (const item of text.split(',')) {
    const match = /^([^=,]+)=([0-9.]+)$/.exec(item.trim());
    if (!match) {
      throw new UsageError(`--until wants NAME=FRACTION[,NAME=FRACTION...], not "${text}"`);
    }
    wanted.set(match[1], number('--until', match[2], {max: 1}));
  }
  return wanted;
}

function defaultJob() {
  return {
    target: '',
    count: 200,
    until: null,
    tolerance: 0.1,
    deadline: 30,
    rpcTimeout: 10,
    concurrency: 50,
  };
}

// Reads the job flags out of argv into job; returns the flags it does not know, in order.
function parseJobFlags(argv, job) {
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (!flag.startsWith('--')) throw new UsageError(`unexpected argument ${flag}`);
    if (flag === '--commands') {
      rest.push(flag);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--target':
        job.target = value;
        break;
      case '--count':
        job.count = number(flag, value, {integer: true, min: 1});
        break;
      case '--until':
        job.until = parseWanted(value);
        break;
      case '--tolerance':
        job.tolerance = number(flag, value, {max: 1});
        break;
      case '--deadline':
        job.deadline = number(flag, value, {min: 0.001});
        break;
      case '--rpc-timeout':
        job.rpcTimeout = number(flag, value, {min: 0.001});
        break;
      case '--concurrency':
        job.concurrency = number(flag, value, {integer: true, min: 1});
        break;
      default:
        rest.push(flag, value);
    }
  }
  return rest;
}

function checkJob(job) {
  if (!job.target.startsWith('xds:')) {
    throw new UsageError('--target must be an xds: URI, e.g. xds:///host');
  }
}

function parseArgs(argv) {
  const options = {
    xdsServer: '',
    bootstrap: '',
    nodeId: `contour-xds-peer-${process.pid}`,
    commands: false,
    job: defaultJob(),
  };
  const rest = parseJobFlags(argv, options.job);
  for (let i = 0; i < rest.length; i++) {
    switch (rest[i]) {
      case '--commands':
        options.commands = true;
        break;
      case '--xds-server':
        options.xdsServer = rest[++i];
        break;
      case '--bootstrap':
        options.bootstrap = rest[++i];
        break;
      case '--node-id':
        options.nodeId = rest[++i];
        break;
      default:
        throw new UsageError(`unknown flag ${rest[i]}`);
    }
  }
  if (!options.commands) checkJob(options.job);
  return options;
}

// The bootstrap is read when the first xds: channel is made, so this must come first.
function setUpBootstrap(options) {
  if (options.xdsServer === '') {
    if (!process.env.GRPC_XDS_BOOTSTRAP && !process.env.GRPC_XDS_BOOTSTRAP_CONFIG) {
      throw new UsageError('give --xds-server HOST:PORT, or set GRPC_XDS_BOOTSTRAP');
    }
    return;
  }
  const bootstrap = {
    xds_servers: [{
      server_uri: options.xdsServer,
      channel_creds: [{type: 'insecure'}],
      server_features: ['xds_v3'],
    }],
    node: {id: options.nodeId, cluster: 'contour-xds-peer', locality: {}},
  };
  let file = options.bootstrap;
  if (file === '') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contour-xds-peer-'));
    file = path.join(dir, 'bootstrap.json');
    process.on('exit', () => fs.rmSync(dir, {recursive: true, force: true}));
    // Killed, it still removes the directory ('exit' handlers run on process.exit).
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
      process.on(signal, () => process.exit(1));
    }
  }
  fs.writeFileSync(file, JSON.stringify(bootstrap, null, 2) + '\n');
  process.env.GRPC_XDS_BOOTSTRAP = file;
  delete process.env.GRPC_XDS_BOOTSTRAP_CONFIG;
}

// Channels and the generated stub, one client per target.
class Peer {
  constructor() {
    this.grpc = require('@grpc/grpc-js');
    const protoLoader = require('@grpc/proto-loader');
    require('@grpc/grpc-js-xds').register();
    const definition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'));
    this.Echo = this.grpc.loadPackageDefinition(definition).contour.test.Echo;
    this.clients = new Map();
  }

  client(target) {
    if (!this.clients.has(target)) {
      this.clients.set(target, new this.Echo(target, this.grpc.credentials.createInsecure()));
    }
    return this.clients.get(target);
  }

  // One RPC; resolves to {name, detail}: the backend's name, or "error:<CODE>" and the details.
  who(target, deadline) {
    return new Promise((resolve) => {
      this.client(target).Who({}, {deadline}, (error, reply) => {
        if (error) {
          const code = this.grpc.status[error.code] || String(error.code);
          resolve({name: `error:${code}`, detail: error.details || error.message});
        } else {
          resolve({name: reply.name, detail: ''});
        }
      });
    });
  }

  // job.count RPCs, at most job.concurrency in flight, none started after stopAt (ms since the
  // epoch); returns the counts per name and the distinct errors.
  async batch(job, stopAt) {
    const counts = {};
    const errors = new Set();
    let started = 0;
    const worker = async () => {
      while (started < job.count && Date.now() < stopAt) {
        started++;
        const result = await this.who(job.target, new Date(Date.now() + job.rpcTimeout * 1000));
        counts[result.name] = (counts[result.name] || 0) + 1;
        if (result.detail !== '') errors.add(`${result.name}: ${result.detail}`);
      }
    };
    const workers = [];
    for (let i = 0; i < Math.min(job.concurrency, job.count); i++) workers.push(worker());
    await Promise.all(workers);
    return {counts, errors: [...errors]};
  }

  // Runs one job; returns {status, counts}.
  async run(job) {
    if (job.until === null) {
      const result = await this.batch(job, Infinity);
      for (const error of result.errors) process.stderr.write(`client: ${error}\n`);
      return {status: result.errors.length > 0 ? 1 : 0, counts: result.counts};
    }
    const wanted = JSON.stringify(Object.fromEntries(job.until));
    const stopAt = Date.now() + job.deadline * 1000;
    for (let round = 1;; round++) {
      const result = await this.batch(job, stopAt);
      process.stderr.write(
          `client: ${job.target} batch ${round}: ${JSON.stringify(result.counts)}\n`);
      for (const error of result.errors) process.stderr.write(`client:   ${error}\n`);
      // Only a whole batch counts: a few RPCs cut short by the deadline prove little.
      const total = Object.values(result.counts).reduce((a, b) => a + b, 0);
      if (total === job.count && matches(result.counts, job.until, job.tolerance)) {
        return {status: 0, counts: result.counts};
      }
      if (Date.now() >= stopAt) {
        process.stderr.write(
            `client: no batch matched ${wanted} (±${job.tolerance}) ` +
            `within ${job.deadline}s\n`);
        return {status: 1, counts: result.counts};
      }
      // Pace the retries: the xDS update being waited for needs a moment to arrive.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

// Whether counts are within tolerance of the wanted fractions (unlisted names: of 0).
function matches(counts, wanted, tolerance) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  if (total === 0) return false;
  const names = new Set([...Object.keys(counts), ...wanted.keys()]);
  for (const name of names) {
    const fraction = (counts[name] || 0) / total;
    // A small epsilon so that a tolerance of 0 still accepts an exact match.
    if (Math.abs(fraction - (wanted.get(name) || 0)) > tolerance + 1e-9) return false;
  }
  return true;
}

// Splits a command line on blanks; no quoting (no job flag value holds a blank).
function words(line) {
  return line.trim().split(/\s+/).filter((word) => word !== '');
}

async function runCommands(peer) {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of lines) {
    if (words(line).length === 0) continue;
    let result;
    try {
      const job = defaultJob();
      const rest = parseJobFlags(words(line), job);
      if (rest.length > 0) throw new UsageError(`not a job flag: ${rest[0]}`);
      checkJob(job);
      process.stderr.write(`client: job: ${line.trim()}\n`);
      result = await peer.run(job);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`client: ${error.message}\n`);
      result = {status: 2, counts: {}};
    }
    process.stdout.write(`RESULT ${result.status} ${JSON.stringify(result.counts)}\n`);
  }
  return 0;
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
    setUpBootstrap(options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`client: ${error.message}\n${USAGE}`);
    return 2;
  }
  const peer = new Peer();
  if (options.commands) return runCommands(peer);
  const result = await peer.run(options.job);
  process.stdout.write(JSON.stringify(result.counts) + '\n');
  return result.status;
}

// The xDS client keeps its ADS stream (and timers) alive, so exit explicitly.
main().then((code) => process.exit(code), (error) => {
  process.stderr.write(`client: ${error.stack || error}\n`);
  process.exit(1);
});
