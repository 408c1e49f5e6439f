"""Survey comments in Vietnamese and English, with planted language, sentiment and topics.

A comment is one or two clauses, each about a topic of the taxonomy (dbt/seeds/voc_topics.csv)
with the comment's polarity, sometimes a closing remark with no topic (on a line of its own
in one comment of two: a multi-line CSV field), sometimes (one negative comment in ten)
personal data (a phone number or an email) that the scorer must redact. Vietnamese comes
written with diacritics, without them, or in chat shorthand (ko, k, dc, sp, nv, ship...); some
comments are emojis only, a bare "ok", or German; a few carry quotes (CSV escaping). The
polarity follows the score: promoters write positive comments, detractors negative ones,
passives a mix, with a few that disagree with their score.

The ground truth (language, sentiment, topics of every comment) is what the phrases were chosen
to mean; tests/test_voc.py checks the marts against it exactly, so every phrase here is also a
test case of the scorer (dagster_project/voc). Comments draw from their own random stream
(seeded by the generator's seed), so adding them changed no other file of the sample.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
VI, VI_PLAIN, VI_SHORT, EN = 0, 1, 2, 3  # how a comment is written
FORMS = (VI, VI_PLAIN, VI_SHORT, EN)

# (topic, polarity) -> phrases per form (vi with diacritics, vi without, vi shorthand, en).
PHRASES: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("delivery", POSITIVE): (
        ("giao hàng nhanh", "giao hàng rất nhanh", "shipper thân thiện"),
        ("giao hang nhanh", "giao hang rat nhanh", "shipper than thien"),
        ("ship nhanh", "gh nhanh lắm", "ship siêu nhanh"),
        ("fast delivery", "delivery was quick", "arrived on time")),
    ("delivery", NEGATIVE): (
        ("giao hàng chậm quá", "giao hàng trễ hẹn", "hàng đến muộn 3 ngày"),
        ("giao hang cham qua", "giao hang tre", "giao hang lau"),
        ("ship chậm", "ship lâu vl", "gh chậm quá"),
        ('slow delivery, "meh"', "the delivery was late", "my parcel arrived late")),
    ("delivery", NEUTRAL): (
        ("giao hàng trong 3 ngày", "nhận hàng hôm thứ 2"),
        ("giao hang trong 3 ngay", "nhan hang hom thu 2"),
        ("ship 3 ngày", "gh 2 ngày"),
        ("delivery took 3 days", "the parcel came on Monday")),
    ("product_quality", POSITIVE): (
        ("sản phẩm tốt", 'sản phẩm "như hình"', "chất lượng tuyệt vời"),
        ("san pham tot", "hang dep nhu hinh", "chat luong tuyet voi"),
        ("sp tốt", "sp dep lam", "sp xịn, đẹp"),
        ("great product", "the quality is excellent", "the item works well")),
    ("product_quality", NEGATIVE): (
        ("sản phẩm bị lỗi", "hàng không giống hình", "chất lượng kém"),
        ("san pham bi loi", "hang khong giong hinh", "chat luong kem"),
        ("sp lỗi", "sp ko giống hình", "sp kém"),
        ("the product is broken", "poor quality", "the item stopped working")),
    ("product_quality", NEUTRAL): (
        ("sản phẩm đúng mô tả", "hàng size M"),
        ("san pham dung mo ta", "hang size M"),
        ("sp size M", "sp màu xanh"),
        ("the item is blue", "product as described")),
    ("price_value", POSITIVE): (
        ("giá rẻ", "giá cả hợp lý", "đáng tiền"),
        ("gia ca hop ly", "dang tien", "gia ca re"),
        ("giá ok", "đáng tiền lắm", "giá hợp lý"),
        ("great price", "good value for money", "affordable prices")),
    ("price_value", NEGATIVE): (
        ("giá hơi đắt", "giá đắt quá", "không đáng tiền"),
        ("gia ca dat qua", "khong dang tien", "phi tien"),
        ("giá đắt", "ko đáng tiền", "k đáng tiền"),
        ("overpriced", "too expensive", "not worth the price")),
    ("price_value", NEUTRAL): (
        ("giá 500k", "có mã giảm giá"),
        ("gia ca 500k", "co voucher"),
        ("giá 200k", "có voucher"),
        ("the price was 20 dollars", "I used a voucher")),
    ("staff_service", POSITIVE): (
        ("nhân viên nhiệt tình", "nhân viên tư vấn chu đáo", "thái độ phục vụ tốt"),
        ("nhan vien nhiet tinh", "nhan vien than thien", "phuc vu chu dao"),
        ("nv nhiệt tình", "nv dễ thương", "shop tư vấn nhiệt tình"),
        ("the staff were friendly", "helpful staff", "great service")),
    ("staff_service", NEGATIVE): (
        ("nhân viên thô lỗ", "thái độ nhân viên kém", "nhân viên không nhiệt tình"),
        ("nhan vien tho lo", "thai do kem", "nhan vien khong nhiet tinh"),
        ("nv thô lỗ", "nv ko nhiệt tình", "thái độ nv kém"),
        ("the staff were rude", "unhelpful staff", "bad attitude from the cashier")),
    ("staff_service", NEUTRAL): (
        ("nhân viên hướng dẫn mình", "mình hỏi nhân viên"),
        ("nhan vien huong dan minh", "minh hoi nhan vien"),
        ("nv hướng dẫn", "hỏi nv"),
        ("I asked the staff", "the seller answered")),
    ("support_resolution", POSITIVE): (
        ("tổng đài hỗ trợ nhanh", "cskh giải quyết nhanh chóng", "hỗ trợ rất nhiệt tình"),
        ("tong dai ho tro nhanh", "cskh giai quyet nhanh chong", "ho tro nhiet tinh"),
        ("cskh hỗ trợ nhanh", "hotline hỗ trợ tốt", "cskh ok lắm"),
        ("support resolved it quickly", "customer service was excellent", "quick response")),
    ("support_resolution", NEGATIVE): (
        ("gọi tổng đài mãi không ai nghe", "chờ lâu mới có người phản hồi",
         "khiếu nại không được giải quyết"),
        ("goi tong dai khong ai nghe", "cho lau moi co phan hoi",
         "khieu nai khong duoc giai quyet"),
        ("cskh trả lời chậm", "hotline ko ai nghe", "chờ lâu quá"),
        ("I waited 40 minutes on hold", "support never replied", "my complaint was ignored")),
    ("support_resolution", NEUTRAL): (
        ("mình gọi tổng đài", "đã gửi khiếu nại"),
        ("minh goi tong dai", "da gui khieu nai"),
        ("gọi hotline", "gửi tin nhắn cskh"),
        ("I called support", "I opened a ticket")),
    ("website_app", POSITIVE): (
        ("app dễ dùng", "giao diện đẹp", "website dễ sử dụng"),
        ("app de dung", "giao dien dep", "web de su dung"),
        ("app mượt", "app ok lắm", "web dễ dùng"),
        ("the app is easy to use", "great website", "nice app")),
    ("website_app", NEGATIVE): (
        ("app hay bị lỗi", "ứng dụng bị treo", "không đăng nhập được"),
        ("app hay bi loi", "ung dung bi loi", "web loi"),
        ("app lag quá", "app lỗi hoài", "web đơ"),
        ("the app keeps crashing", "the website is buggy", "login is broken")),
    ("website_app", NEUTRAL): (
        ("mình đăng nhập app", "mình tìm trên website"),
        ("minh dang nhap app", "minh tim tren web"),
        ("dùng app", "mình vào web"),
        ("I used the app", "I searched on the website")),
    ("payment_checkout", POSITIVE): (
        ("thanh toán nhanh gọn", "thanh toán dễ dàng", "chuyển khoản tiện lợi"),
        ("thanh toan nhanh", "chuyen khoan tien loi", "thanh toan de dang"),
        ("tt nhanh", "ck tiện lợi", "thanh toán momo tiện"),
        ("easy checkout", "payment was quick", "smooth checkout")),
    ("payment_checkout", NEGATIVE): (
        ("thanh toán bị lỗi", "bị trừ tiền hai lần", "thanh toán thất bại"),
        ("thanh toan bi loi", "bi tru tien 2 lan", "thanh toan that bai"),
        ("tt lỗi", "ck xong bị lỗi", "thanh toán lỗi hoài"),
        ("I was double charged", "the payment failed", "checkout is broken")),
    ("payment_checkout", NEUTRAL): (
        ("thanh toán bằng thẻ", "mình chuyển khoản"),
        ("thanh toan bang the tin dung", "minh chuyen khoan"),
        ("tt bằng momo", "ck trước"),
        ("I paid by card", "I paid with paypal")),
    ("returns_refunds", POSITIVE): (
        ("đổi trả dễ dàng", "hoàn tiền nhanh", "bảo hành chu đáo"),
        ("doi tra de dang", "hoan tien nhanh", "bao hanh chu dao"),
        ("đổi hàng nhanh", "hoàn tiền nhanh lắm", "đổi hàng dễ"),
        ("easy returns", "the refund was quick", "hassle free exchange")),
    ("returns_refunds", NEGATIVE): (
        ("hoàn tiền chậm quá", "đổi trả rất phiền", "chưa được hoàn tiền"),
        ("hoan tien cham", "doi tra phien qua", "chua duoc hoan tien"),
        ("hoàn tiền lâu", "đổi hàng phiền quá", "chưa hoàn tiền"),
        ("the refund took forever", "still waiting for my refund", "returns are a nightmare")),
    ("returns_refunds", NEUTRAL): (
        ("mình đổi hàng", "đã gửi trả hàng"),
        ("minh doi hang", "da gui tra hang"),
        ("đổi hàng", "trả hàng"),
        ("I returned it", "I asked for an exchange")),
    ("store_experience", POSITIVE): (
        ("cửa hàng sạch sẽ", "cửa hàng rộng rãi, đẹp", "không gian cửa hàng thoáng mát"),
        ("cua hang sach se", "cua hang dep", "khong gian dep"),
        ("cửa hàng đẹp", "chi nhánh sạch sẽ", "cửa hàng xịn"),
        ("the store was clean", "nice store", "lovely showroom")),
    ("store_experience", NEGATIVE): (
        ("cửa hàng đông, xếp hàng lâu", "cửa hàng bẩn", "không có chỗ gửi xe"),
        ("cua hang dong, xep hang lau", "cua hang khong sach se", "cua hang chat choi va kem"),
        ("xếp hàng lâu quá", "cửa hàng bẩn", "cửa hàng kém"),
        ("the store was dirty", "long queues at the store", "the store was crowded and messy")),
    ("store_experience", NEUTRAL): (
        ("mình ghé cửa hàng", "mua tại cửa hàng"),
        ("minh ghe cua hang", "mua tai cua hang"),
        ("ghé cửa hàng", "ra cửa hàng"),
        ("I visited the store", "I went to the branch")),
}
# Closing remarks with no topic, per polarity and form.
CLOSERS = {
    POSITIVE: (("Sẽ ủng hộ tiếp!", "Cảm ơn shop 👍", "Rất hài lòng."),
               ("Se ung ho tiep!", "Cam on shop", "Rat hai long"),
               ("tks shop 👍", "ủng hộ dài dài", "10 điểm ❤️"),
               ("Will buy again!", "Thanks 👍", "Love it.")),
    NEGATIVE: (("Thất vọng.", "Rất không hài lòng 😡", "Không bao giờ quay lại."),
               ("That vong.", "Khong hai long", "Te qua"),
               ("thất vọng 😞", "chán ko muốn nói", "k hài lòng"),
               ("Very disappointed.", "Never again 😡", "Awful.")),
    NEUTRAL: ((), (), (), ()),
}
# Comments that carry no topic and no words to read (language und), and a German one.
SHORT = (("👍", "und", POSITIVE), ("ok", "und", POSITIVE), ("😡", "und", NEGATIVE),
         ("...", "und", NEUTRAL))
GERMAN = ("Alles wie erwartet", "de", NEUTRAL)
# Personal data that lands in a few comments; the marts must show it redacted.
CONTACT = (("Gọi lại cho mình số 0912 345 678", "[phone]"),
           ("Email mình: lan.nguyen@example.com", "[email]"),
           ("Call me back on +84 912-345-679", "[phone]"),
           ("My email is tom.baker@example.org", "[email]"))
# Topics customers raise per touchpoint (index of survey.TOUCHPOINTS).
TOUCHPOINT_TOPICS = (
    ("delivery", "product_quality", "price_value", "returns_refunds", "payment_checkout"),
    ("support_resolution", "staff_service", "returns_refunds"),
    ("store_experience", "staff_service", "price_value", "product_quality"),
    ("website_app", "staff_service", "support_resolution"),
    ("website_app", "payment_checkout", "delivery", "price_value"),
    ("website_app", "payment_checkout", "delivery"),
)
TOPIC_ORDER = ("delivery", "product_quality", "price_value", "staff_service",
               "support_resolution", "website_app", "payment_checkout", "returns_refunds",
               "store_experience")  # the seed's order, in which the marts list topics


def polarity(rng, nps: np.ndarray, csat: np.ndarray) -> np.ndarray:
    """The sentiment of each comment from its score: promoters mostly positive, detractors
    mostly negative, passives (or CSAT 3, or no score) mostly neutral, ~5 % against the score."""
    n = len(nps)
    u = rng.random(n)
    good = (nps >= 9) | ((nps < 0) & (csat >= 4))
    bad = ((nps >= 0) & (nps <= 6)) | ((nps < 0) & (csat >= 1) & (csat <= 2))
    return np.select(
        [good & (u < 0.88), good & (u < 0.95), good,
         bad & (u < 0.85), bad & (u < 0.95), bad,
         u < 0.35, u < 0.7],
        [POSITIVE, NEUTRAL, NEGATIVE, NEGATIVE, NEUTRAL, POSITIVE, POSITIVE, NEUTRAL],
        NEGATIVE).astype(object)


def make_comments(seed: int, touchpoint: np.ndarray, nps: np.ndarray, csat: np.ndarray,
                  has_comment: np.ndarray) -> pd.DataFrame:
    """comment, language, sentiment, topics (", "-joined in taxonomy order) per response;
    None where has_comment is False."""
    rng = np.random.default_rng([seed, 18])
    n = len(touchpoint)
    sentiment = polarity(rng, nps, csat)
    form = rng.choice(len(FORMS), size=n, p=[0.4, 0.2, 0.12, 0.28])
    kind = rng.random(n)  # < 0.04 short, < 0.06 German, else clauses
    n_topics = rng.choice(3, size=n, p=[0.08, 0.67, 0.25])
    first = rng.integers(0, 1 << 30, size=n)
    second = rng.integers(0, 1 << 30, size=n)
    phrase_pick = rng.integers(0, 1 << 30, size=(n, 3))
    closer = rng.random(n) < 0.35
    contact = rng.random(n) < 0.1
    comments, languages, topics = [], [], []
    for i in range(n):  # a few thousand rows at most; the scorer, not this, must be fast
        if not has_comment[i]:
            comments.append(None)
            languages.append(None)
            topics.append(None)
            continue
        text, lang, mood, found = _compose(i, form[i], kind[i], n_topics[i], first[i], second[i],
                                           phrase_pick[i], closer[i], contact[i], touchpoint[i],
                                           sentiment[i])
        sentiment[i] = mood
        comments.append(text)
        languages.append(lang)
        topics.append(", ".join(t for t in TOPIC_ORDER if t in found))
    return pd.DataFrame({"comment": comments, "comment_language": languages,
                         "comment_sentiment": np.where(has_comment, sentiment, None),
                         "comment_topics": topics})


def _compose(i, form, kind, n_topics, first, second, pick, closer, contact, touchpoint, mood):
    if kind < 0.04:
        text, lang, mood = SHORT[first % len(SHORT)]
        return text, lang, mood, set()
    if kind < 0.06:
        text, lang, mood = GERMAN
        return text, lang, mood, set()
    lang = "en" if form == EN else "vi"
    options = TOUCHPOINT_TOPICS[touchpoint]
    chosen = [options[first % len(options)]]
    if n_topics == 2:
        other = options[second % len(options)]
        if other != chosen[0]:
            chosen.append(other)
    if n_topics == 0:
        chosen = []
        closer = True
    clauses = []
    for k, topic in enumerate(chosen):
        phrases = PHRASES[(topic, mood)][form]
        clauses.append(phrases[pick[k] % len(phrases)])
    closers = CLOSERS[mood][form]
    ending = ""
    if closer and closers:
        ending = closers[pick[2] % len(closers)]
    if not clauses and not ending:  # a neutral comment with no topic
        clauses.append("Không có ý kiến" if lang == "vi" else "Nothing to add")
    if form == EN:
        clauses = [c[0].upper() + c[1:] for c in clauses]
    text = (", " if form != EN else ". ").join(clauses)
    if ending:  # on a line of its own in one comment of two (a multi-line CSV field)
        if text and not pick[2] % 2 and form != EN:
            ending = ending[0].lower() + ending[1:]  # "giao hàng nhanh, sẽ ủng hộ tiếp!"
        text = f"{text}{chr(10) if pick[2] % 2 else ', ' if form != EN else '. '}{ending}" \
            if text else ending
    text = text[0].upper() + text[1:]
    if contact and mood == NEGATIVE:
        extra = CONTACT[(first >> 3) % 2 + (2 if lang == "en" else 0)][0]
        text = f"{text.rstrip('.')}. {extra}"
    return text, lang, mood, set(chosen)
