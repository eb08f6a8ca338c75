// Types for the explorer's GraphQL documents, generated from the server's
// schema: a document that does not match schema.graphql fails the build.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: "src/graphql/*.graphql",
  generates: {
    "src/generated/graphql.ts": {
      plugins: ["typescript-operations"],
      config: {
        enumsAsTypes: true,
        avoidOptionals: true,
        scalars: { PartialDate: "string", NaiveDate: "string", DateTime: "string" },
      },
    },
  },
};
export default config;
