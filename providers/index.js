// Loaded by Pulumi's dynamic-provider host through node_modules (this folder is a file: dependency of the project):
// the serialized providers in state are small stubs that require the implementation from the project's build.
"use strict";
const path = require("path");

const dist = path.join(__dirname, "..", "dist", "components", "dataverse");

function load(file, exported) {
  let mod;
  try {
    mod = require(path.join(dist, file));
  } catch (err) {
    throw new Error(`the Dataverse provider implementation is not built (${path.join(dist, file)}): run \`npm ci\` or \`npm run build\` in the project first (${err.code || err.message})`);
  }
  return mod[exported];
}

module.exports = {
  applicationUser: () => load("applicationUser.js", "applicationUserImplementation"),
  changeTracking: () => load("changeTracking.js", "changeTrackingImplementation"),
  securityRole: () => load("securityRole.js", "securityRoleImplementation"),
};
