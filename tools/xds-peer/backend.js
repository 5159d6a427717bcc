// One Echo backend for the xDS system test.
//
// Usage: node backend.js --name NAME [--port PORT]
// Serves contour.test.Echo on 127.0.0.1:PORT (default 0: any free port), prints one line
// `PORT <bound port>` on stdout once it listens, and answers Who with NAME until it is killed.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

function usage(message) {
  process.stderr.write(`backend: ${message}\nusage: node backend.js --name NAME [--port PORT]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = {name: '', port: 0};
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--name':
        if (value === undefined) usage('--name needs a value');
        options.name = value;
        i++;
        break;
      case '--port':
        if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) {
          usage('--port needs a number from 0 to 65535');
        }
        options.port = Number(value);
        i++;
        break;
      default:
        usage(`unknown argument ${argv[i]}`);
    }
  }
  if (options.name === '') usage('--name is required');
  return options;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const definition = protoLoader.loadSync(path.join(__dirname, 'echo.proto'));
  const echo = grpc.loadPackageDefinition(definition).contour.test.Echo;
  const server = new grpc.Server();
  server.addService(echo.service, {
    Who: (call, callback) => callback(null, {name: options.name}),
  });
  server.bindAsync(
      `127.0.0.1:${options.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error) {
          process.stderr.write(`backend ${options.name}: bind: ${error.message}\n`);
          process.exit(1);
        }
        process.stdout.write(`PORT ${port}\n`);
      });
  const stop = () => {
    server.forceShutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
