// Preload (`node -r`) that makes every .node addon fail to load, so the package falls back to wasm.
require('node:module')._extensions['.node'] = () => {
  throw new Error('simulated: no native addon');
};
