// The AWS SDK for JavaScript v3 as CDK, the Serverless Framework and Node scripts use it:
// an STS client with the default credential chain and region, asking who it is.
// Prints "js REGION ACCOUNT"; the tests' endpoint records which key signed the request.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";

const client = new STSClient({});
const identity = await client.send(new GetCallerIdentityCommand({}));
console.log("js", await client.config.region(), identity.Account);
