import { hasCjk, searchableText } from './terms.js';

describe('searchableText', () => {
  test.each([
    ['OAuth认证相关内容。', 'OAuth 认证 证相 相关 关内 内容 。'],
    ['ログイン認証の設定', 'ログ グイ イン ン認 認証 証の の設 設定'],
    ['인증서버를 구성', '인증 증서 서버 버를 구성'],
    ['猫', '猫'],
    ['API接口v2版本', 'API 接口 v2 版本'],
    ['The quick  brown fox', 'The quick  brown fox'],
    ['the ﬁle ｆｕｌｌ', 'the file full'],
    ['İstanbul ΟΔΟΣ οδος', 'istanbul ΟΔΟΣ οδοσ'],
    ['cafe\u0301 ＡＰＩ接口', 'café API 接口'],
  ])('%j → %j', (text, expected) => {
    expect(searchableText(text)).toBe(expected);
  });

  test.each(['OAuth认证相关内容。', 'ログイン認証の設定', '인증서버를 구성', 'plain English'])(
    'is idempotent on %j (text read back from the index is indexed again)',
    (text) => {
      const once = searchableText(text);
      expect(searchableText(once)).toBe(once);
    },
  );

  test('hasCjk', () => {
    expect(hasCjk('abc')).toBe(false);
    expect(hasCjk('abc认')).toBe(true);
    expect(hasCjk('カ')).toBe(true);
    expect(hasCjk('한')).toBe(true);
  });
});
