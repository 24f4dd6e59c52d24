/**
 * Writes a tiny transformers.js model folder for offline tests: a one-node ONNX graph (Gather over a
 * small float embedding table, indexed by `input_ids`, output `last_hidden_state`), a BERT-style
 * WordPiece tokenizer and the config files, laid out like a Hub repo. The protobuf is encoded by hand
 * (varints and length-delimited fields) so the tests need no ONNX tooling.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TINY_DIMENSION = 8;
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const WORDS = [
  'the',
  'a',
  'cat',
  'dog',
  'sat',
  'on',
  'mat',
  'ran',
  'in',
  'park',
  'vector',
  'search',
  'index',
  'agent',
  'user',
  'memory',
  'file',
  'read',
  'write',
  'fast',
  'slow',
  'red',
  'blue',
  'green',
  '##s',
  '##ing',
  '##ed',
  '.',
  ',',
  '!',
];
export const TINY_VOCAB = [...SPECIAL, ...WORDS];

// ---- protobuf wire format ----
type Bytes = number[];
function varint(n: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: Bytes = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number): Bytes => varint((field << 3) | wire);
const int = (field: number, n: number): Bytes => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: Bytes | Uint8Array): Bytes => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string): Bytes => bytes(field, Buffer.from(s, 'utf8'));
const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, parts.flat());

const FLOAT = 1;
const INT64 = 7;

/** ValueInfoProto with a tensor type whose dims are symbolic names or fixed sizes. */
function valueInfo(field: number, name: string, elemType: number, dims: (string | number)[]): Bytes {
  const shape = dims.map((d) => msg(1, typeof d === 'string' ? str(2, d) : int(1, d)));
  return msg(field, str(1, name), msg(2, msg(1, int(1, elemType), msg(2, ...shape))));
}

/** Deterministic, well-spread embedding table so every token has a distinct direction. */
function embeddingTable(vocab: number, dim: number): Float32Array {
  const table = new Float32Array(vocab * dim);
  for (let t = 0; t < vocab; t++) {
    for (let d = 0; d < dim; d++) table[t * dim + d] = Math.sin((t + 1) * 12.9898 + (d + 1) * 78.233);
  }
  return table;
}

export function tinyOnnxModel(vocab: number, dim: number): Uint8Array {
  const table = embeddingTable(vocab, dim);
  const initializer = msg(
    5,
    int(1, vocab),
    int(1, dim),
    int(2, FLOAT),
    str(8, 'embeddings'),
    bytes(9, new Uint8Array(table.buffer)),
  );
  const node = msg(
    1,
    str(1, 'embeddings'),
    str(1, 'input_ids'),
    str(2, 'last_hidden_state'),
    str(3, 'gather'),
    str(4, 'Gather'),
    msg(5, str(1, 'axis'), int(3, 0), int(20, 2)),
  );
  const graph = msg(
    7,
    node,
    str(2, 'tiny'),
    initializer,
    valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    valueInfo(11, 'attention_mask', INT64, ['batch', 'sequence']),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', dim]),
  );
  return Uint8Array.from([
    ...int(1, 7),
    ...str(2, 'vikingscope-test'),
    ...graph,
    ...msg(8, str(1, ''), int(2, 13)),
  ]);
}

function tokenizerJson(): unknown {
  const vocab = Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i]));
  const id = (t: string): number => TINY_VOCAB.indexOf(t);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((content) => ({
      id: id(content),
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Writes `<parent>/<name>/...` and returns the model folder. `quantized` picks the ONNX file name. */
export function writeTinyModel(parent: string, name = 'tiny-bert', quantized = false): string {
  const dir = join(parent, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const onnxFile = quantized ? 'model_quantized.onnx' : 'model.onnx';
  writeFileSync(join(dir, 'onnx', onnxFile), tinyOnnxModel(TINY_VOCAB.length, TINY_DIMENSION));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  const special = {
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 512,
      ...special,
    }),
  );
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      architectures: ['BertModel'],
      hidden_size: TINY_DIMENSION,
      vocab_size: TINY_VOCAB.length,
      max_position_embeddings: 512,
    }),
  );
  return dir;
}
