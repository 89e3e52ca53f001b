/*
 * gen.c - the synthetic data generator behind `kefu gen` (see gen.h).
 *
 * Layout: a PRNG and a deterministic exp() first, then the word pools the
 * rows are made of, then output buffers with hand-written number and
 * timestamp formatting, then the model itself: shops and their agents,
 * one chat at a time, the orders, ratings and evals that follow from it,
 * and silent orders. Work is done per (day, shop) with the message budget
 * of that pair fixed up front, so the total is exactly opts->messages and
 * memory does not grow with it.
 *
 * All times inside the generator are local wall-clock seconds since
 * 1970-01-01 (as if UTC); the output has no zone, as canonical CSV allows.
 */
#include "kefu/gen.h"
#include "kefu/tz.h"

#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* ---------------------------------------------------------------- PRNG */

typedef struct rng {
	uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t mix64(uint64_t x) { return splitmix64(&x); }

static void rng_seed(rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t x = seed ^ mix64(a * 0x9e3779b97f4a7c15ULL + b + 0x632be59bd9b4e019ULL);
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static inline uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	const uint64_t result = rotl(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n) (n > 0); the tiny bias of multiply-shift is fine here. */
static inline uint32_t below(rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int64_t range(rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)below(r, (uint32_t)(hi - lo + 1));
}

/* 1 with probability per_mille / 1000. */
static inline int chance(rng *r, uint32_t per_mille) { return below(r, 1000) < per_mille; }

static inline double unit(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* A standard normal approximated by a scaled Irwin-Hall sum of four
 * uniforms (tails cut at +-3.46 sigma, which the mixtures below extend). */
static double approx_normal(rng *r)
{
	double s = unit(r) + unit(r) + unit(r) + unit(r) - 2.0;
	return s * 1.7320508075688772;
}

/* exp(x) for |x| < 40 with IEEE basic operations only, so the output does
 * not depend on the C library's libm. */
static double det_exp(double x)
{
	if (x > 40.0)
		x = 40.0;
	if (x < -40.0)
		x = -40.0;
	double kf = x * 1.4426950408889634;
	int k = (int)(kf < 0 ? kf - 0.5 : kf + 0.5);
	double rr = x - (double)k * 0.6931471805599453;
	double term = 1.0, sum = 1.0;
	for (int i = 1; i < 16; i++) {
		term = term * rr / (double)i;
		sum += term;
	}
	double p = 1.0;
	if (k > 0)
		while (k--)
			p *= 2.0;
	else
		while (k++)
			p *= 0.5;
	return sum * p;
}

/* Log-normal sample: median * exp(sigma * N(0,1)), clamped to [lo, hi]. */
static int64_t lognormal(rng *r, double median, double sigma, int64_t lo, int64_t hi)
{
	double v = median * det_exp(sigma * approx_normal(r));
	int64_t x = (int64_t)(v + 0.5);
	if (x < lo)
		x = lo;
	if (x > hi)
		x = hi;
	return x;
}

/* ---------------------------------------------------------- word pools */

static const char *const SHOP_BRAND[] = {
	"云裳", "悦己", "小鹿", "极客", "拾光", "木子", "花间", "南山", "北极熊", "橘子",
	"森林", "星河", "暖暖", "初心", "半亩", "青柠", "小熊", "大白", "蜜桃", "良品",
	"优选", "简约", "元气", "喵星人", "汪星人", "山野", "海盐", "晨曦", "知音", "禾苗",
	"一叶", "白鹭", "锦绣", "如意", "福满", "乐活", "墨韵", "素色", "麦田", "云朵"};
static const char *const SHOP_CAT[] = {
	"女装", "男装", "美妆", "家居", "数码", "母婴", "零食", "茶叶", "鞋履", "箱包",
	"宠物用品", "运动户外", "家电", "饰品", "文具", "内衣", "童装", "厨具", "汽车用品", "护肤"};
static const char *const SHOP_SUFFIX[] = {"旗舰店", "官方旗舰店", "专营店", "专卖店",
					  "的小店", "生活馆", "工作室"};

static const char *const AGENT_NICK[] = {
	"小美", "小雪", "小琳", "小晴", "小玲", "小婷", "小娜", "小芳", "小静", "小丽", "小云",
	"小月", "小桃", "小悦", "小可", "小乐", "小甜", "小萌", "小糖", "小七", "小九", "小鱼",
	"小米", "小梨", "小杏", "小叶", "小柚", "小橙", "阿杰", "阿强", "阿明", "阿伟", "阿俊",
	"阿飞", "阿宁", "阿辉", "阿东", "阿峰", "阿涛", "阿斌", "糖果", "布丁", "奶茶", "可乐"};
static const char *const SURNAME[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周",
				      "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高", "罗"};
static const char *const GIVEN[] = {"芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇",
				    "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "桂英",
				    "晓燕", "婷婷", "子涵", "浩然", "欣怡", "宇轩"};
static const char *const VENDOR[] = {"v_hangzhou", "v_suqian", "v_hefei", "v_chengdu",
				     "v_changsha", "v_nanchang", "v_jinhua"};
enum { TEAM_PRE1, TEAM_PRE2, TEAM_AFTER, TEAM_NIGHT };
static const char *const TEAM[] = {"售前一组", "售前二组", "售后组", "夜班组"};

static const char *const NICK_ADJ[] = {"快乐的", "爱吃鱼的", "追风", "安静的", "小小", "大大",
				       "温柔的", "不吃香菜的", "熬夜", "早睡的", "会飞的", "勇敢的"};
static const char *const NICK_NOUN[] = {"小猪", "猫咪", "少年", "兔子", "橙子", "星星",
					"月亮", "企鹅", "西瓜", "考拉", "蘑菇", "大熊"};
static const char *const NICK_LATIN[] = {"xiaoyu", "lily", "chenwei", "amy", "zhangsan",
					 "kiki", "tony", "momo", "leo", "yuki", "jason", "coco"};
static const char *const NICK_CJK_NAME[] = {"糖糖", "王小姐", "李先生", "阿花", "豆豆", "乐乐"};

/* Buyer texts before a purchase. Commas, quotes and newlines on purpose. */
static const char *const TXT_B_PRE[] = {
	"在吗",
	"在吗？",
	"你好，这款还有货吗",
	"亲，这个什么时候发货？",
	"尺码怎么选，我身高165，体重110斤",
	"这件衣服会不会起球",
	"发什么快递？能发顺丰吗",
	"有优惠券吗？",
	"能便宜点吗，买两件",
	"这个和上面那款有什么区别",
	"宝贝详情写的\"纯棉\"，是100%纯棉吗？",
	"颜色和图片一样吗？会不会有色差",
	"我想要L码的，\n但是怕偏小",
	"保质期到什么时候",
	"iPhone 15 Pro Max能用吗？",
	"能开发票吗,公司抬头",
	"什么时候有活动，双11会降价吗",
	"好的",
	"那我拍了",
	"可以包邮吗？新疆",
	"怎么还不回复",
	"这个适合送人吗，要礼盒包装",
	"赠品是什么",
	"有没有现货，急用！！",
	"敏感肌能用吗",
	"质量怎么样，会不会掉色",
	"这款充电宝能带上飞机吗",
	"[图片]",
	"[商品链接] https://item.taobao.com/item.htm?id=6543210987",
	"嗯嗯",
	"谢谢",
	"OK",
	"多少钱包邮到上海",
	"收到货不合适可以退吗？7天无理由吗",
	"ok, thanks",
	"买二送一是真的吗\n还是只有今天",
	"他们说“买一送一”，是这样吗",
	"我拍了，帮我备注一下：不要放发票",
	"😊好的",
	"能不能今天发出，周末要用"};
static const char *const TXT_B_AFTER[] = {
	"我的快递怎么还没到",
	"物流三天没更新了",
	"收到的货有破损，怎么处理",
	"我要退货，尺码不合适",
	"怎么申请退款？",
	"发错颜色了，我要的是黑色",
	"能换一个大一号的吗",
	"已经寄回了，单号 SF1234567890，\n麻烦查收",
	"退款什么时候到账",
	"东西很好，下次还来",
	"少发了一件，麻烦补发",
	"说明书在哪里下载",
	"质量有问题，屏幕有\"亮点\"",
	"[图片]",
	"为什么还没发货？说好48小时的",
	"在吗"};
static const char *const TXT_B_NUDGE[] = {"在吗？", "？？", "人呢", "有人吗", "你好？"};
static const char *const TXT_A_PRE[] = {
	"亲，在的呢，有什么可以帮您？",
	"亲亲，有货的哦，今天16点前付款当天发货~",
	"亲，默认发中通，需要顺丰的话补差价10元哦",
	"建议您拍M码哦，身高165体重110斤穿M正好~",
	"亲，这款是100%纯棉的，不起球，放心拍哦",
	"亲，现在下单可以领取满199减20的优惠券哦，\n在店铺首页领取~",
	"亲，价格已经是最低了哦，买两件可以送一个小礼品呢",
	"亲，实物拍摄，会有轻微色差，以实物为准哦",
	"亲，支持7天无理由退换货，放心购买~",
	"可以开发票的哦，下单后把抬头和税号发给我就行",
	"好的亲，已经帮您备注了",
	"亲，新疆西藏地区不包邮哦，需要补邮费15元",
	"亲，两款主要区别是材质，\n一款是棉麻，一款是聚酯纤维，棉麻更透气",
	"亲，保质期到2026年6月，都是新鲜批次哦",
	"亲，适用的哦，iPhone 15全系都可以用",
	"不好意思久等了，刚才咨询的人比较多",
	"亲，“买一送一”活动今天截止哦，抓紧时间~",
	"好的，感谢您的支持，祝您生活愉快！",
	"亲，可以的，我们有礼盒包装，下单时备注\"礼盒\"就可以",
	"亲，赠品是同系列的小样，随机发哦",
	"亲，敏感肌也可以用的，建议先在耳后试用哦",
	"亲，充电宝是20000mAh，可以带上飞机的",
	"嗯嗯，是的呢",
	"亲，这边看到您已经拍下了，我们会尽快安排发货",
	"[商品链接]",
	"亲，您看一下这款，性价比很高的，好评率99%",
	"ok的亲",
	"亲，今天下单今天发，明天就能到江浙沪哦"};
static const char *const TXT_A_AFTER[] = {
	"亲，非常抱歉给您带来不便，我这边马上帮您查一下物流",
	"亲，快递显示在派送中，今天应该能到哦",
	"亲，麻烦您拍一下破损的照片发给我，我们给您补发或者退款",
	"亲，在订单页面点击\"申请售后\"，选择退货退款就可以啦",
	"亲，退款一般1-3个工作日到账，请您耐心等待",
	"亲，实在抱歉，发错颜色了，我们给您换一件，运费我们承担",
	"好的亲，已经帮您登记补发，单号稍后发您",
	"亲，说明书电子版：\n1. 长按电源键开机\n2. 首次使用请充满电",
	"亲，收到退货后24小时内给您处理退款哦",
	"谢谢亲的支持，给个五星好评哦~",
	"亲，已经催促仓库了，今天一定发出"};
static const char *const TXT_A_FOLLOW[] = {"亲，还在吗？有什么问题随时找我哦",
					   "亲，考虑得怎么样啦？今天下单有赠品哦"};
static const char *const TXT_S[] = {
	"亲，现在咨询人数较多，请耐心等待，客服马上回复您~",
	"【自动回复】亲，客服暂时离开，请留言，回来后第一时间回复您",
	"店小蜜：发货时间一般为付款后48小时内，偏远地区除外。",
	"店小蜜：您可以点击“我的订单”查看物流信息哦",
	"[自动回复]感谢您的咨询，祝您购物愉快！"};
static const char *const TXT_S_TRANSFER = "系统消息：已为您转接至其他客服，请稍候";
static const char *const TXT_S_NIGHT =
	"【自动回复】亲，客服上班时间为8:00-24:00，\n您的留言我们会在上班后第一时间回复";

/* Hour-of-day weights (local): evening peak 20:00-23:00, trough 02:00-07:00. */
static const uint32_t HOUR_W[24] = {30, 14, 6,  4,  3,  3,  5,  10, 25, 45, 60, 62,
				    50, 55, 62, 65, 62, 55, 55, 70, 92, 100, 96, 66};

/* ------------------------------------------------------------- strings */

/* A CSV-ready field (quoted and escaped if needed) plus its raw length. */
typedef struct gstr {
	char *p;
	uint32_t n;
} gstr;

/* A tiny bump arena for the generator's strings. */
typedef struct arena_blk {
	struct arena_blk *next;
	size_t used, cap;
	char data[];
} arena_blk;

typedef struct arena {
	arena_blk *head;
} arena;

/* Returns n bytes aligned to 8 (block data starts 8-aligned). */
static char *arena_alloc(arena *a, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (!a->head || a->head->cap - a->head->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		arena_blk *b = kefu_malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->next = a->head;
		b->used = 0;
		b->cap = cap;
		a->head = b;
	}
	char *p = a->head->data + a->head->used;
	a->head->used += n;
	return p;
}

static void arena_free(arena *a)
{
	while (a->head) {
		arena_blk *n = a->head->next;
		kefu_free(a->head);
		a->head = n;
	}
}

/* CSV-encodes raw bytes into the arena (RFC 4180 quoting when needed). */
static int gstr_make(arena *a, gstr *out, const char *raw, size_t n)
{
	int quote = 0;
	size_t extra = 0;
	for (size_t i = 0; i < n; i++) {
		char c = raw[i];
		if (c == '"') {
			quote = 1;
			extra++;
		} else if (c == ',' || c == '\n' || c == '\r') {
			quote = 1;
		}
	}
	size_t len = n + extra + (quote ? 2 : 0);
	char *p = arena_alloc(a, len);
	if (!p)
		return KEFU_ENOMEM;
	size_t j = 0;
	if (quote)
		p[j++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (raw[i] == '"')
			p[j++] = '"';
		p[j++] = raw[i];
	}
	if (quote)
		p[j++] = '"';
	out->p = p;
	out->n = (uint32_t)len;
	return 0;
}

typedef struct pool {
	gstr *v;
	uint32_t n;
} pool;

static int pool_make(arena *a, pool *out, const char *const *src, size_t n)
{
	out->v = (gstr *)(void *)arena_alloc(a, n * sizeof(gstr));
	if (!out->v)
		return KEFU_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = gstr_make(a, &out->v[i], src[i], strlen(src[i]));
		if (rc)
			return rc;
	}
	out->n = (uint32_t)n;
	return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------- output */

#define OBUF_CAP ((size_t)4 << 20)
#define OBUF_ROOM ((size_t)16384) /* larger than any single row */

typedef struct obuf {
	char *p;
	size_t len;
} obuf;

/* ------------------------------------------------------------- model */

typedef struct agent {
	gstr name;  /* "店名:小美", CSV-ready */
	uint8_t team;
	uint8_t vendor; /* 0 = inhouse, else VENDOR[vendor - 1] */
	uint8_t in_roster;
	char person[16]; /* real name for the roster */
} agent;

typedef struct payer {
	uint64_t buyer;
	int64_t paid;
} payer;

#define RING 1024

typedef struct shop {
	gstr name;
	gstr welcome; /* S welcome text, CSV-ready */
	agent *ag;
	uint32_t nag;
	uint32_t *team_idx[4]; /* agent indexes per team */
	uint32_t team_n[4];
	uint64_t weight;
	uint64_t buyer_base;
	uint32_t buyer_pool;
	double price_median; /* fen */
	payer ring[RING];
	uint32_t ring_n, ring_pos;
	uint64_t order_seq;
} shop;

typedef struct gen {
	kefu_gen_opts o;
	kefu_gen_write_fn write;
	void *ctx;
	int rc;
	kefu_gen_stats st;
	obuf out[KEFU_GEN_FILE_COUNT];
	arena ar;
	pool b_pre, b_after, b_nudge, a_pre, a_after, a_follow, s_auto;
	gstr s_transfer, s_night;
	shop *shops;
	uint32_t nshops;
	int64_t end_t;    /* start of the day after the last day */
	int64_t cache_day;
	char cache_date[11];
	char two[200]; /* "00".."99" */
	uint32_t hour_cum[24];
	uint64_t budget_left; /* messages still to write in this (day, shop) */
	/* current chat */
	char buyer_buf[80];
	gstr buyer;
} gen;

static void flush(gen *g, kefu_gen_file f)
{
	obuf *b = &g->out[f];
	if (b->len && !g->rc) {
		int rc = g->write(g->ctx, f, b->p, b->len);
		if (rc)
			g->rc = rc < 0 ? rc : KEFU_EIO;
	}
	b->len = 0;
}

/* Returns the write position for a row of file f, flushing if needed. */
static inline char *row_begin(gen *g, kefu_gen_file f)
{
	obuf *b = &g->out[f];
	if (b->len + OBUF_ROOM > OBUF_CAP)
		flush(g, f);
	return b->p + b->len;
}

static inline void row_end(gen *g, kefu_gen_file f, char *w)
{
	obuf *b = &g->out[f];
	size_t n = (size_t)(w - (b->p + b->len));
	b->len += n;
	g->st.bytes[f] += n;
	g->st.rows[f]++;
}

static inline char *put(char *w, const char *p, size_t n)
{
	memcpy(w, p, n);
	return w + n;
}

static inline char *put_g(char *w, gstr s) { return put(w, s.p, s.n); }

static inline char *put_u64(char *w, uint64_t v)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		*w++ = tmp[--i];
	return w;
}

/* fen as yuan with two decimals. */
static inline char *put_money(gen *g, char *w, uint64_t fen)
{
	w = put_u64(w, fen / 100);
	*w++ = '.';
	return put(w, g->two + 2 * (fen % 100), 2);
}

/* Local seconds as "YYYY-MM-DD HH:MM:SS". */
static inline char *put_ts(gen *g, char *w, int64_t t)
{
	int64_t day = kefu_floor_div(t, 86400);
	int64_t sod = t - day * 86400;
	if (day != g->cache_day) {
		kefu_day_format(day, g->cache_date);
		g->cache_day = day;
	}
	w = put(w, g->cache_date, 10);
	*w++ = ' ';
	w = put(w, g->two + 2 * (sod / 3600), 2);
	*w++ = ':';
	w = put(w, g->two + 2 * (sod / 60 % 60), 2);
	*w++ = ':';
	return put(w, g->two + 2 * (sod % 60), 2);
}

static void write_header(gen *g, kefu_gen_file f, const char *h)
{
	char *w = row_begin(g, f);
	w = put(w, h, strlen(h));
	*w++ = '\n';
	obuf *b = &g->out[f];
	size_t n = (size_t)(w - (b->p + b->len));
	b->len += n;
	g->st.bytes[f] += n;
}

/* ---------------------------------------------------------- shop setup */

static int make_shops(gen *g)
{
	uint32_t k = g->nshops;
	g->shops = kefu_calloc(k, sizeof(shop));
	if (!g->shops)
		return KEFU_ENOMEM;
	rng r;
	rng_seed(&r, g->o.seed, 0xabcdefULL, 0);
	uint32_t nb = (uint32_t)NELEM(SHOP_BRAND), nc = (uint32_t)NELEM(SHOP_CAT),
		 ns = (uint32_t)NELEM(SHOP_SUFFIX);
	uint32_t boff = below(&r, nb), coff = below(&r, nc), soff = below(&r, ns);
	/* total expected chats per day, for sizing the agent teams */
	uint64_t wsum = 0;
	for (uint32_t i = 0; i < k; i++) {
		/* Zipf-like shop sizes: a few big shops, a long tail */
		shop *s = &g->shops[i];
		s->weight = 1000000 / (i + 2) + 20000 + below(&r, 20000);
		wsum += s->weight;
	}
	uint64_t next_buyer = 1;
	for (uint32_t i = 0; i < k; i++) {
		shop *s = &g->shops[i];
		char name[160];
		uint32_t b = (i + boff) % nb, c = (i / nb + coff + i * 7) % nc,
			 sf = (i / (nb * nc) + soff + i) % ns;
		size_t n = 0;
		const char *parts[3] = {SHOP_BRAND[b], SHOP_CAT[c], SHOP_SUFFIX[sf]};
		for (int j = 0; j < 3; j++) {
			size_t l = strlen(parts[j]);
			memcpy(name + n, parts[j], l);
			n += l;
		}
		if (i >= nb * nc * ns) { /* more shops than combinations */
			char *e = put_u64(name + n, i / (nb * nc * ns) + 1);
			n = (size_t)(e - name);
		}
		int rc = gstr_make(&g->ar, &s->name, name, n);
		if (rc)
			return rc;
		char wel[400];
		size_t wn = 0;
		static const char w1[] = "您好，欢迎光临【";
		static const char w2[] = "】！我是智能助手小蜜，有什么可以帮您？";
		memcpy(wel, w1, sizeof w1 - 1);
		wn = sizeof w1 - 1;
		memcpy(wel + wn, name, n);
		wn += n;
		memcpy(wel + wn, w2, sizeof w2 - 1);
		wn += sizeof w2 - 1;
		rc = gstr_make(&g->ar, &s->welcome, wel, wn);
		if (rc)
			return rc;

		/* expected chats per day (about 9 messages per chat) */
		uint64_t msgs_day = (uint64_t)((u128)g->o.messages *
						   s->weight / wsum / g->o.days);
		uint64_t chats_day = msgs_day / 9;
		uint64_t nag = chats_day / 60 + 3;
		if (nag > 400)
			nag = 400;
		s->nag = (uint32_t)nag;
		s->ag = kefu_calloc(s->nag, sizeof(agent));
		if (!s->ag)
			return KEFU_ENOMEM;
		for (int t = 0; t < 4; t++) {
			s->team_idx[t] = kefu_calloc(s->nag, sizeof(uint32_t));
			if (!s->team_idx[t])
				return KEFU_ENOMEM;
		}
		uint32_t n_after = s->nag / 5 ? s->nag / 5 : 1;
		uint32_t n_night = chats_day >= 150 ? (s->nag / 8 ? s->nag / 8 : 1) : 0;
		uint32_t vmode = below(&r, 10);
		uint8_t v1 = (uint8_t)(1 + below(&r, (uint32_t)NELEM(VENDOR)));
		uint8_t v2 = (uint8_t)(1 + below(&r, (uint32_t)NELEM(VENDOR)));
		uint32_t skip_roster = below(&r, 10) == 0 ? s->nag - 1 : UINT32_MAX;
		uint32_t noff = below(&r, (uint32_t)NELEM(AGENT_NICK));
		for (uint32_t a = 0; a < s->nag; a++) {
			agent *ag = &s->ag[a];
			uint8_t team;
			if (a < n_after)
				team = TEAM_AFTER;
			else if (a < n_after + n_night)
				team = TEAM_NIGHT;
			else
				team = (a % 2) ? TEAM_PRE2 : TEAM_PRE1;
			ag->team = team;
			if (vmode < 4)
				ag->vendor = 0;
			else if (vmode < 8)
				ag->vendor = team == TEAM_AFTER ? 0 : v1;
			else
				ag->vendor = team == TEAM_PRE2 ? v2 : (team == TEAM_AFTER ? 0 : v1);
			ag->in_roster = a != skip_roster;
			char an[200];
			size_t l = 0;
			memcpy(an, name, n);
			l = n;
			an[l++] = ':';
			uint32_t pn = (uint32_t)NELEM(AGENT_NICK);
			const char *nick = AGENT_NICK[(a + noff) % pn];
			if (team == TEAM_AFTER) {
				static const char sh[] = "售后";
				memcpy(an + l, sh, sizeof sh - 1);
				l += sizeof sh - 1;
			}
			memcpy(an + l, nick, strlen(nick));
			l += strlen(nick);
			if (a >= pn) {
				char *e = put_u64(an + l, a / pn + 1);
				l = (size_t)(e - an);
			}
			rc = gstr_make(&g->ar, &ag->name, an, l);
			if (rc)
				return rc;
			const char *sn = SURNAME[below(&r, (uint32_t)NELEM(SURNAME))];
			const char *gn = GIVEN[below(&r, (uint32_t)NELEM(GIVEN))];
			size_t p = 0, snl = strlen(sn), gnl = strlen(gn);
			memcpy(ag->person, sn, snl);
			p = snl;
			memcpy(ag->person + p, gn, gnl);
			ag->person[p + gnl] = '\0';
			s->team_idx[team][s->team_n[team]++] = a;
		}
		/* buyers: a pool sized to the shop's chats, with repeat customers */
		uint64_t pool_sz = chats_day * g->o.days / 2 + 40;
		if (pool_sz > 50000000)
			pool_sz = 50000000;
		s->buyer_pool = (uint32_t)pool_sz;
		s->buyer_base = next_buyer;
		next_buyer += pool_sz;
		static const double PRICES[] = {3900, 8900, 12900, 25900, 4900, 16800, 59900};
		s->price_median = PRICES[below(&r, (uint32_t)NELEM(PRICES))];
	}
	return 0;
}

static void write_roster(gen *g)
{
	write_header(g, KEFU_GEN_AGENTS, "agent,vendor,team,name");
	for (uint32_t i = 0; i < g->nshops; i++) {
		shop *s = &g->shops[i];
		for (uint32_t a = 0; a < s->nag; a++) {
			agent *ag = &s->ag[a];
			if (!ag->in_roster)
				continue;
			char *w = row_begin(g, KEFU_GEN_AGENTS);
			w = put_g(w, ag->name);
			*w++ = ',';
			const char *v = ag->vendor ? VENDOR[ag->vendor - 1] : "inhouse";
			w = put(w, v, strlen(v));
			*w++ = ',';
			w = put(w, TEAM[ag->team], strlen(TEAM[ag->team]));
			*w++ = ',';
			w = put(w, ag->person, strlen(ag->person));
			*w++ = '\n';
			row_end(g, KEFU_GEN_AGENTS, w);
		}
	}
}

/* ------------------------------------------------------------- buyers */

/* Writes the nick of buyer id into g->buyer (no CSV specials ever). */
static void set_buyer(gen *g, uint64_t id)
{
	uint64_t h = mix64(id * 0x2545f4914f6cdd1dULL ^ g->o.seed);
	char *w = g->buyer_buf;
	uint32_t style = (uint32_t)(h % 10);
	h /= 10;
	uint64_t digits = id * 7919 + (h & 0xff);
	switch (style) {
	case 0:
	case 1:
	case 2:
		w = put(w, "tb", 2);
		w = put_u64(w, 100000000 + digits % 900000000);
		if (style == 2) {
			*w++ = '_';
			w = put_u64(w, h % 90 + 10);
		}
		break;
	case 3:
	case 4:
	case 5: {
		const char *a = NICK_ADJ[h % NELEM(NICK_ADJ)];
		const char *n = NICK_NOUN[(h >> 8) % NELEM(NICK_NOUN)];
		w = put(w, a, strlen(a));
		w = put(w, n, strlen(n));
		w = put_u64(w, digits % 100000);
		break;
	}
	case 6:
	case 7:
	case 8: {
		const char *l = NICK_LATIN[h % NELEM(NICK_LATIN)];
		w = put(w, l, strlen(l));
		*w++ = (h >> 8) % 3 == 0 ? '.' : '_';
		w = put_u64(w, digits % 1000000);
		break;
	}
	default: {
		const char *c = NICK_CJK_NAME[h % NELEM(NICK_CJK_NAME)];
		const char *l = NICK_LATIN[(h >> 8) % NELEM(NICK_LATIN)];
		w = put(w, c, strlen(c));
		w = put(w, l, strlen(l));
		w = put_u64(w, digits % 10000);
		break;
	}
	}
	g->buyer.p = g->buyer_buf;
	g->buyer.n = (uint32_t)(w - g->buyer_buf);
}

/* A buyer of shop s: repeat customers are more likely; a few buyers are
 * shared between shops. */
static uint64_t pick_buyer(gen *g, shop *s, rng *r)
{
	if (chance(r, 30))
		return 1 + (rng_next(r) % 100000); /* shared, cross-shop buyers */
	double u = unit(r);
	uint64_t idx = (uint64_t)((double)s->buyer_pool * u * u);
	(void)g;
	return s->buyer_base + 100000 + idx;
}

/* ---------------------------------------------------------- messages */

static inline int64_t tod_sample(gen *g, rng *r)
{
	uint32_t x = below(r, g->hour_cum[23]);
	int h = 0;
	while (g->hour_cum[h] <= x)
		h++;
	return (int64_t)h * 3600 + (int64_t)below(r, 3600);
}

/* Writes one message row; returns 0 when the budget is exhausted. */
static int emit_msg(gen *g, shop *s, uint32_t agent_i, char dir, int64_t t, gstr text, rng *r)
{
	if (!g->budget_left)
		return 0;
	int dup = g->budget_left >= 2 && below(r, 2000) == 0;
	for (int k = 0; k <= dup; k++) {
		char *w = row_begin(g, KEFU_GEN_MESSAGES);
		w = put_g(w, s->name);
		*w++ = ',';
		w = put_g(w, g->buyer);
		*w++ = ',';
		w = put_g(w, s->ag[agent_i].name);
		*w++ = ',';
		*w++ = dir;
		*w++ = ',';
		w = put_ts(g, w, t);
		*w++ = ',';
		w = put_g(w, text);
		*w++ = '\n';
		row_end(g, KEFU_GEN_MESSAGES, w);
		g->budget_left--;
	}
	return 1;
}

static inline gstr pick(pool *p, rng *r) { return p->v[below(r, p->n)]; }

/* Agent reply delay in seconds: log-normal, median ~30 s, with a busy
 * tail (minutes) and an away tail (hours). */
static int64_t reply_delay(rng *r)
{
	uint32_t x = below(r, 1000);
	if (x < 8)
		return lognormal(r, 3600.0, 0.8, 900, 6 * 3600);
	if (x < 50)
		return lognormal(r, 240.0, 0.7, 60, 3600);
	return lognormal(r, 30.0, 0.9, 1, 900);
}

static uint8_t level_sample(rng *r)
{
	uint32_t x = below(r, 1000);
	if (x < 780)
		return 5;
	if (x < 900)
		return 4;
	if (x < 950)
		return 3;
	if (x < 970)
		return 2;
	return 1;
}

/* ------------------------------------------------------------- orders */

static void emit_order(gen *g, shop *s, uint32_t si, rng *r, uint64_t buyer_id, int64_t created)
{
	if (created >= g->end_t)
		return; /* after the export */
	uint32_t items = 1;
	uint32_t x = below(r, 100);
	if (x >= 75)
		items = x < 92 ? 2 : 3 + below(r, 3);
	uint64_t fen = (uint64_t)lognormal(r, s->price_median, 0.6, 100, 5000000) * items;
	x = below(r, 10);
	if (x < 3)
		fen = fen / 100 * 100;
	else if (x < 5)
		fen = fen / 100 * 100 + 90;
	else
		fen = fen / 10 * 10 + (x == 9 ? 9 : 0);
	int64_t paid = -1;
	if (chance(r, 880)) {
		paid = created + (chance(r, 20) ? range(r, 3600, 20 * 3600)
						: lognormal(r, 45.0, 1.2, 3, 1800));
		if (paid >= g->end_t)
			paid = -1; /* not paid yet at export time */
	}
	const char *status;
	uint64_t refund = 0;
	if (paid < 0) {
		status = created + 3 * 86400 >= g->end_t && chance(r, 700) ? "WAIT_BUYER_PAY"
									   : "TRADE_CLOSED";
	} else {
		x = below(r, 100);
		if (x < 4) {
			status = "TRADE_CLOSED";
			refund = fen;
		} else if (x < 7) {
			status = "TRADE_FINISHED";
			refund = fen * (10 + below(r, 50)) / 100;
		} else if (paid + 2 * 86400 >= g->end_t) {
			status = x < 50 ? "WAIT_SELLER_SEND_GOODS" : "WAIT_BUYER_CONFIRM_GOODS";
		} else if (paid + 8 * 86400 >= g->end_t) {
			status = x < 60 ? "WAIT_BUYER_CONFIRM_GOODS" : "TRADE_FINISHED";
		} else {
			status = "TRADE_FINISHED";
		}
	}
	uint64_t oid = 3000000000000000000ULL + (uint64_t)si * 100000000000ULL +
		       s->order_seq * 16 + below(r, 16);
	s->order_seq++;

	char *w = row_begin(g, KEFU_GEN_ORDERS);
	w = put_g(w, s->name);
	*w++ = ',';
	w = put_u64(w, oid);
	*w++ = ',';
	set_buyer(g, buyer_id);
	w = put_g(w, g->buyer);
	*w++ = ',';
	w = put_ts(g, w, created);
	*w++ = ',';
	if (paid >= 0)
		w = put_ts(g, w, paid);
	*w++ = ',';
	w = put_money(g, w, fen);
	*w++ = ',';
	w = put_u64(w, items);
	*w++ = ',';
	w = put(w, status, strlen(status));
	*w++ = ',';
	w = put_money(g, w, refund);
	*w++ = '\n';
	row_end(g, KEFU_GEN_ORDERS, w);

	if (paid < 0)
		return;
	s->ring[s->ring_pos] = (payer){buyer_id, paid};
	s->ring_pos = (s->ring_pos + 1) % RING;
	if (s->ring_n < RING)
		s->ring_n++;
	/* DSR rating for ~40% of paid orders (56% drawn, minus those after the export) */
	if (chance(r, 560) && refund < fen) {
		int64_t ts = paid + range(r, 2 * 86400, 15 * 86400);
		if (ts >= g->end_t)
			return;
		w = row_begin(g, KEFU_GEN_RATINGS);
		w = put_g(w, s->name);
		*w++ = ',';
		w = put_u64(w, oid);
		*w++ = ',';
		w = put_g(w, g->buyer);
		*w++ = ',';
		w = put_ts(g, w, ts);
		for (int d = 0; d < 3; d++) {
			*w++ = ',';
			*w++ = (char)('0' + level_sample(r));
		}
		*w++ = '\n';
		row_end(g, KEFU_GEN_RATINGS, w);
	}
}

/* -------------------------------------------------------------- chats */

static uint32_t pick_agent(shop *s, rng *r, int team)
{
	if (s->team_n[team] == 0)
		team = (team == TEAM_PRE2) ? TEAM_PRE1 : TEAM_PRE2;
	if (s->team_n[team] == 0)
		team = TEAM_PRE1;
	if (s->team_n[team] == 0)
		team = TEAM_AFTER;
	return s->team_idx[team][below(r, s->team_n[team])];
}

/* Generates one chat that starts on day_t (local midnight). */
static void gen_chat(gen *g, shop *s, uint32_t si, rng *r, int64_t day_t)
{
	int64_t start = day_t + tod_sample(g, r);
	int hour = (int)((start - day_t) / 3600);
	int after_sale = 0;
	uint64_t buyer_id = 0;
	if (s->ring_n && chance(r, 130)) {
		for (int tries = 0; tries < 4; tries++) {
			payer *p = &s->ring[below(r, s->ring_n)];
			if (p->paid < start && p->paid >= start - 5 * 86400) {
				after_sale = 1;
				buyer_id = p->buyer;
				break;
			}
		}
	}
	if (!after_sale)
		buyer_id = pick_buyer(g, s, r);
	set_buyer(g, buyer_id);

	int night = hour < 8;
	int team = after_sale ? TEAM_AFTER
		   : night    ? TEAM_NIGHT
			      : (below(r, 2) ? TEAM_PRE1 : TEAM_PRE2);
	uint32_t ag = pick_agent(s, r, team);
	int staffed = !night || s->team_n[TEAM_NIGHT] > 0 || hour == 0;
	int answered = staffed ? chance(r, 935) : chance(r, 350);
	pool *bp = after_sale ? &g->b_after : &g->b_pre;
	pool *ap = after_sale ? &g->a_after : &g->a_pre;
	uint32_t rounds = 1;
	while (rounds < 8 && chance(r, 550))
		rounds++;
	int transfer_round = (answered && chance(r, 35)) ? (int)below(r, rounds) : -1;

	int64_t t = start, last = start, first_b = start;
	uint32_t last_agent = ag;
	int any_a = 0;
	for (uint32_t k = 0; k < rounds; k++) {
		uint32_t nb = 1 + (chance(r, 350) ? 1 + (chance(r, 300) ? 1 : 0) : 0);
		for (uint32_t j = 0; j < nb; j++) {
			if (!emit_msg(g, s, ag, 'B', t, pick(bp, r), r))
				goto done;
			last = t;
			t += range(r, 2, 40);
			if (k == 0 && j == 0 && chance(r, 500)) {
				/* auto-reply right after the first buyer message */
				gstr st = (!staffed && !answered) ? g->s_night
					  : chance(r, 600)        ? s->welcome
								  : pick(&g->s_auto, r);
				if (!emit_msg(g, s, ag, 'S', first_b + range(r, 0, 1), st, r))
					goto done;
			}
		}
		if (!answered) {
			if (chance(r, 400)) {
				t = last + lognormal(r, 120.0, 0.8, 20, 1800);
				if (!emit_msg(g, s, ag, 'B', t, pick(&g->b_nudge, r), r))
					goto done;
				last = t;
			}
			break;
		}
		if ((int)k == transfer_round) {
			/* 转接: moved to another agent before this one answered */
			t = last + range(r, 20, 300);
			if (!emit_msg(g, s, ag, 'S', t, g->s_transfer, r))
				goto done;
			uint32_t other = pick_agent(s, r, after_sale ? TEAM_AFTER : TEAM_PRE1);
			if (other == ag)
				other = (ag + 1) % s->nag;
			ag = other;
			t += range(r, 5, 60);
			if (!emit_msg(g, s, ag, 'B', t, pick(&g->b_nudge, r), r))
				goto done;
			last = t;
		}
		t = last + reply_delay(r);
		uint32_t na = 1 + (chance(r, 300) ? 1 : 0);
		for (uint32_t j = 0; j < na; j++) {
			if (!emit_msg(g, s, ag, 'A', t, pick(ap, r), r))
				goto done;
			any_a = 1;
			last_agent = ag;
			last = t;
			t += range(r, 3, 40);
		}
		t = last + lognormal(r, 60.0, 1.0, 5, 1800);
	}
	if (any_a && chance(r, 50)) {
		t = last + range(r, 120, 900);
		if (emit_msg(g, s, ag, 'A', t, pick(&g->a_follow, r), r))
			last = t;
	}
done:
	/* the order decision */
	if (!after_sale ? chance(r, answered ? 380 : 90) : chance(r, 30)) {
		uint32_t x = below(r, 100);
		int64_t created;
		if (x < 45 && last > first_b)
			created = first_b + range(r, 1, last - first_b);
		else if (x < 80)
			created = last + lognormal(r, 2400.0, 1.3, 30, 47 * 3600);
		else
			created = last + range(r, 2 * 86400, 7 * 86400);
		emit_order(g, s, si, r, buyer_id, created);
		set_buyer(g, buyer_id);
	}
	/* 旺旺评价 for ~22% of chats an agent answered */
	if (any_a && chance(r, 220)) {
		int64_t ts = last + range(r, 10, 600);
		char *w = row_begin(g, KEFU_GEN_EVALS);
		w = put_g(w, s->name);
		*w++ = ',';
		w = put_g(w, s->ag[last_agent].name);
		*w++ = ',';
		w = put_g(w, g->buyer);
		*w++ = ',';
		w = put_ts(g, w, ts);
		*w++ = ',';
		*w++ = (char)('0' + level_sample(r));
		*w++ = '\n';
		row_end(g, KEFU_GEN_EVALS, w);
	}
}

/* ---------------------------------------------------------------- run */

static uint32_t day_weight(int64_t day)
{
	int64_t y;
	unsigned m, d;
	kefu_civil_from_days(day, &y, &m, &d);
	if (m == 11 && d == 11)
		return 300; /* 双11 */
	if (m == 6 && d == 18)
		return 250; /* 618 */
	if (m == 12 && d == 12)
		return 200;
	if (m == 11 && d == 10)
		return 150;
	return kefu_weekday(day) >= 6 ? 115 : 100;
}

const char *kefu_gen_file_name(kefu_gen_file f)
{
	static const char *const names[] = {"messages.csv", "orders.csv", "ratings.csv",
					    "evals.csv", "agents.csv"};
	if ((int)f < 0 || f >= KEFU_GEN_FILE_COUNT)
		return NULL;
	return names[f];
}

uint32_t kefu_gen_default_shops(uint64_t messages)
{
	uint64_t k = messages / 200000;
	if (k < 3)
		k = 3;
	if (k > 100000)
		k = 100000;
	return (uint32_t)k;
}

static void gen_free(gen *g)
{
	for (int f = 0; f < KEFU_GEN_FILE_COUNT; f++)
		kefu_free(g->out[f].p);
	if (g->shops) {
		for (uint32_t i = 0; i < g->nshops; i++) {
			kefu_free(g->shops[i].ag);
			for (int t = 0; t < 4; t++)
				kefu_free(g->shops[i].team_idx[t]);
		}
		kefu_free(g->shops);
	}
	arena_free(&g->ar);
	kefu_free(g);
}

static int make_pools(gen *g)
{
	int rc = 0;
	arena *a = &g->ar;
	if ((rc = pool_make(a, &g->b_pre, TXT_B_PRE, NELEM(TXT_B_PRE))) ||
	    (rc = pool_make(a, &g->b_after, TXT_B_AFTER, NELEM(TXT_B_AFTER))) ||
	    (rc = pool_make(a, &g->b_nudge, TXT_B_NUDGE, NELEM(TXT_B_NUDGE))) ||
	    (rc = pool_make(a, &g->a_pre, TXT_A_PRE, NELEM(TXT_A_PRE))) ||
	    (rc = pool_make(a, &g->a_after, TXT_A_AFTER, NELEM(TXT_A_AFTER))) ||
	    (rc = pool_make(a, &g->a_follow, TXT_A_FOLLOW, NELEM(TXT_A_FOLLOW))) ||
	    (rc = pool_make(a, &g->s_auto, TXT_S, NELEM(TXT_S))) ||
	    (rc = gstr_make(a, &g->s_transfer, TXT_S_TRANSFER, strlen(TXT_S_TRANSFER))) ||
	    (rc = gstr_make(a, &g->s_night, TXT_S_NIGHT, strlen(TXT_S_NIGHT))))
		return rc;
	return 0;
}

int kefu_gen_run(const kefu_gen_opts *opts, kefu_gen_write_fn write, void *ctx,
		 kefu_gen_stats *stats, kefu_err *err)
{
	if (stats)
		memset(stats, 0, sizeof *stats);
	if (!opts || !write)
		return kefu_err_set(err, KEFU_EINVAL, "gen: missing options or sink");
	if (opts->messages == 0 || opts->messages > (uint64_t)1 << 40)
		return kefu_err_set(err, KEFU_EINVAL, "gen: messages must be 1..2^40");
	if (opts->days == 0 || opts->days > 3660)
		return kefu_err_set(err, KEFU_EINVAL, "gen: days must be 1..3660");
	if (opts->shops > 100000)
		return kefu_err_set(err, KEFU_EINVAL, "gen: shops must be at most 100000");
	if (opts->start_day < 0 || opts->start_day > 2932896 - 3660)
		return kefu_err_set(err, KEFU_EINVAL, "gen: start day out of range");

	int rc = 0;
	gen *g = kefu_calloc(1, sizeof *g);
	if (!g)
		return kefu_err_set(err, KEFU_ENOMEM, "gen: out of memory");
	g->o = *opts;
	g->write = write;
	g->ctx = ctx;
	g->nshops = opts->shops ? opts->shops : kefu_gen_default_shops(opts->messages);
	g->end_t = (opts->start_day + (int64_t)opts->days) * 86400;
	g->cache_day = INT64_MIN;
	for (int i = 0; i < 100; i++) {
		g->two[2 * i] = (char)('0' + i / 10);
		g->two[2 * i + 1] = (char)('0' + i % 10);
	}
	uint32_t cum = 0;
	for (int h = 0; h < 24; h++)
		g->hour_cum[h] = cum += HOUR_W[h];
	for (int f = 0; f < KEFU_GEN_FILE_COUNT; f++) {
		g->out[f].p = kefu_malloc(OBUF_CAP);
		if (!g->out[f].p) {
			rc = KEFU_ENOMEM;
			goto cleanup;
		}
	}
	if ((rc = make_pools(g)) || (rc = make_shops(g)))
		goto cleanup;

	write_roster(g);
	write_header(g, KEFU_GEN_MESSAGES, "shop,buyer,agent,dir,ts,text");
	write_header(g, KEFU_GEN_ORDERS, "shop,order_id,buyer,created,paid,amount,items,status,refund");
	write_header(g, KEFU_GEN_RATINGS, "shop,order_id,buyer,ts,desc,service,shipping");
	write_header(g, KEFU_GEN_EVALS, "shop,agent,buyer,ts,level");

	/* Exact apportionment of the message budget over (day, shop) pairs:
	 * cumulative integer weights, so the budgets add up to opts->messages. */
	u128 total = 0;
	uint64_t wshops = 0;
	for (uint32_t i = 0; i < g->nshops; i++)
		wshops += g->shops[i].weight;
	for (uint32_t d = 0; d < opts->days; d++)
		total += (u128)day_weight(opts->start_day + d) * wshops;
	u128 cumw = 0;
	uint64_t prev = 0;
	for (uint32_t d = 0; d < opts->days && !g->rc; d++) {
		int64_t day = opts->start_day + d;
		uint32_t dw = day_weight(day);
		for (uint32_t si = 0; si < g->nshops && !g->rc; si++) {
			shop *s = &g->shops[si];
			cumw += (u128)dw * s->weight;
			uint64_t upto = (uint64_t)((u128)opts->messages * cumw / total);
			g->budget_left = upto - prev;
			prev = upto;
			rng r;
			rng_seed(&r, opts->seed, si, (uint64_t)day);
			uint64_t chats = 0;
			while (g->budget_left && !g->rc) {
				gen_chat(g, s, si, &r, day * 86400);
				chats++;
			}
			/* silent orders: buyers who pay without asking */
			uint64_t silent = chats * 30 / 100 + below(&r, 2);
			for (uint64_t k = 0; k < silent && !g->rc; k++) {
				uint64_t b = pick_buyer(g, s, &r);
				emit_order(g, s, si, &r, b, day * 86400 + tod_sample(g, &r));
			}
		}
	}
	for (int f = 0; f < KEFU_GEN_FILE_COUNT; f++)
		flush(g, (kefu_gen_file)f);
	rc = g->rc;
	if (rc)
		kefu_err_set(err, rc, "gen: output failed");

cleanup:
	if (rc == KEFU_ENOMEM)
		kefu_err_set(err, rc, "gen: out of memory");
	if (stats && !rc)
		*stats = g->st;
	gen_free(g);
	return rc;
}
