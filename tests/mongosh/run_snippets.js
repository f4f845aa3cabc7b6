// Runs mongosh snippets through the Node.js driver: reads {uri, database, snippets: {name: code}} as JSON on
// stdin and prints {name: {result} | {error}} as relaxed EJSON. Each snippet is the body of an async
// function of `db`, a stand-in for mongosh's: db.<collection> has findOne, find and aggregate, and a
// find or aggregate cursor can be awaited for its documents (mongosh prints them).
"use strict";
const { MongoClient } = require("mongodb");
const { EJSON } = require("bson");

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

function awaitable(cursor) {
  cursor.then = (resolve, reject) => cursor.toArray().then(resolve, reject);
  return cursor;
}

function shellDb(database) {
  return new Proxy(
    {},
    {
      get: (_, name) => {
        const collection = database.collection(String(name));
        return {
          findOne: (filter, projection) => collection.findOne(filter, projection ? { projection } : {}),
          find: (filter, projection) => awaitable(collection.find(filter, projection ? { projection } : {})),
          aggregate: (pipeline) => awaitable(collection.aggregate(pipeline)),
        };
      },
    },
  );
}

async function main() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const { uri, database, snippets } = JSON.parse(input);
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  const answers = {};
  try {
    const db = shellDb(client.db(database));
    for (const [name, code] of Object.entries(snippets)) {
      try {
        answers[name] = { result: await new AsyncFunction("db", code)(db) };
      } catch (error) {
        answers[name] = { error: String(error && error.message ? error.message : error) };
      }
    }
  } finally {
    await client.close();
  }
  process.stdout.write(EJSON.stringify(answers, { relaxed: true }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
