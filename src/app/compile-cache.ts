import module from "node:module";

// Most of a start is V8 compiling the dependencies' JavaScript; its code cache on disk (under the OS temp folder) skips that on every start after the first.
module.enableCompileCache();
