// Start @vercel/cosmosdb-server on 127.0.0.1 (HTTPS, the package's self-signed certificate).
// Usage: node cosmos_server.js <package dir> [port]; prints "Ready ... at 127.0.0.1:<port>".
//
// One fix over the package: reading an item that does not exist answers 404 NotFound, as Cosmos DB
// does (the package throws a TypeError there and answers 500).
"use strict";
const path = require("path");

const lib = path.resolve(process.argv[2], "lib");
const readDocument = require(path.join(lib, "handler", "read-document.js"));
const original = readDocument.default;
readDocument.default = (account, req, res, params) => {
  try {
    return original(account, req, res, params);
  } catch (err) {
    if (err instanceof TypeError) {
      res.statusCode = 404;
      return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
    }
    throw err;
  }
};

const { createHttpsServer } = require(lib);
const server = createHttpsServer({ keepAlive: true }).listen(parseInt(process.argv[3] || "0", 10), "127.0.0.1", () => {
  console.log(`Ready to accept HTTPS connections at 127.0.0.1:${server.address().port}`);
});
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
