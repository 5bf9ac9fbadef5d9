// @ts-check
// A .zip archive of a few files, stored without compression: how the page hands over a Hugging
// Face model folder in one download ("Download for transformers"). Safetensors weights barely
// compress, so storing costs little, and the whole writer is this file (no dependency): a local
// header before each file, a central directory and its end record (PKWARE APPNOTE 4.3), UTF-8
// names (flag bit 11), CRC-32 over each file. Files and the archive must stay under 4 GiB
// (no zip64), far above what a browser tab can hold as one model.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 (the zip/PNG polynomial) of `bytes`.
 * @param {Uint8Array} bytes
 */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The DOS time and date fields of `when`.
 * @param {Date} when
 */
function dosTime(when) {
  const time = (when.getHours() << 11) | (when.getMinutes() << 5) | (when.getSeconds() >> 1);
  const date = ((Math.max(1980, when.getFullYear()) - 1980) << 9) | ((when.getMonth() + 1) << 5) | when.getDate();
  return [time, date];
}

/**
 * A zip archive (Uint8Array) of `files`: `[{name, bytes: Uint8Array}]`, names may contain `/`
 * (a folder in the archive).
 * @param {{name: string, bytes: Uint8Array}[]} files
 * @param {Date} [when]
 */
export function zip(files, when = new Date()) {
  const [time, date] = dosTime(when);
  const encoder = new TextEncoder();
  // `offset`: where its local header starts, set as it is written.
  const entries = /** @type {{name: Uint8Array, bytes: Uint8Array, crc: number, offset: number}[]} */ (files.map((f) => ({ name: encoder.encode(f.name), bytes: f.bytes, crc: crc32(f.bytes) })));
  const localSize = entries.reduce((n, e) => n + 30 + e.name.length + e.bytes.length, 0);
  const centralSize = entries.reduce((n, e) => n + 46 + e.name.length, 0);
  if (localSize + centralSize + 22 > 0xffffffff) throw new Error('the files are too large for a zip archive (4 GiB)');
  const out = new Uint8Array(localSize + centralSize + 22);
  const view = new DataView(out.buffer);
  let at = 0;
  const u16 = (/** @type {number} */ v) => { view.setUint16(at, v, true); at += 2; };
  const u32 = (/** @type {number} */ v) => { view.setUint32(at, v, true); at += 4; };
  // Fields shared by the local header and the central directory entry.
  const common = (/** @type {typeof entries[number]} */ e) => { u16(20); u16(0x0800); u16(0); u16(time); u16(date); u32(e.crc); u32(e.bytes.length); u32(e.bytes.length); u16(e.name.length); };
  for (const e of entries) {
    e.offset = at;
    u32(0x04034b50); common(e); u16(0);
    out.set(e.name, at); at += e.name.length;
    out.set(e.bytes, at); at += e.bytes.length;
  }
  const central = at;
  for (const e of entries) {
    u32(0x02014b50); u16(20); common(e); u16(0); u16(0); u16(0); u16(0); u32(0); u32(e.offset);
    out.set(e.name, at); at += e.name.length;
  }
  const centralBytes = at - central;
  u32(0x06054b50); u16(0); u16(0); u16(entries.length); u16(entries.length); u32(centralBytes); u32(central); u16(0);
  return out;
}
