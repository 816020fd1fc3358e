/** The one place command lines are named (components/commandLine.ts, shared with the program's warnings). */
export {
  commandLine,
  invokedThroughBin,
  pulumiLine,
  recordHandoverLine,
  shellWord,
  userPath,
} from "../../components/commandLine";
