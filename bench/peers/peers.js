// The libraries compared, in table order, and the adapter file each lives in.

const FILES = {
  'recur': './recur.js',
  'recur-relaxed': './recur.js',
  'ort-web': './ort-web.js',
  'ort-node': './ort-node.js',
  'tfjs-wasm': './tfjs.js',
  'tfjs-cpu': './tfjs.js',
  'brain': './brain.js',
  'naive': './naive.js',
};

export const PEER_IDS = Object.keys(FILES);

/** The adapter object of one peer (see recur.js for the shape every adapter has). */
export async function importPeer(id) {
  if (!(id in FILES)) throw new Error(`unknown peer ${JSON.stringify(id)}; known: ${PEER_IDS.join(', ')}`);
  const mod = await import(FILES[id]);
  return mod.peer ?? mod.peers.find((p) => p.id === id);
}
