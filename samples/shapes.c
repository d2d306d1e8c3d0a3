/*
 * shapes.c: concrete types behind interfaces, and closures run as
 * goroutines: what a debugger shows for each.
 *
 * The story.  A drawing holds shapes of three concrete types: struct square
 * and struct circle (boxed: the interface's data word points to a copy) and
 * struct label * (a pointer type: the data word is the pointer itself).
 * Each has the methods Area and Name, so each converts to the Shape
 * interface; the program keeps them as `any` values (struct eface, the
 * dynamic type and the value) and as Shape values (struct iface, through
 * an itab).  A few more `any` values hold built-in types.  Then three
 * closures, each capturing its own step k and a running total, run as
 * goroutines: each adds k to its total, reports on a channel and blocks
 * receiving from the `gate` channel.  When all three are parked, main
 * calls story_ready() with `shape` (a Shape holding the circle) and `adder`
 * (the second closure) in scope, then closes the gate and prints a summary.
 *
 * What a person should see at story_ready (break story_ready, up):
 *   - `p shape`: the dynamic type and value, (Shape: struct circle) {r = 2};
 *     `p shapes`: three Shapes, the last (Shape: struct label *) 0x... <title>.
 *   - `p things`: six `any` values, each with its dynamic type:
 *     (struct square) {side = 3}, (struct label *) 0x... <title>,
 *     (int64_t) 42, (gort_string) "hello", (double) 2.5, nil.
 *   - `p adder`: func adder_step at shapes.c (the code pointer) and the
 *     captures {k = 20, total = 20, gate = chan ..., done = chan ...};
 *     `p *adder`: the closure struct itself, fv.fn = <adder_step> and the
 *     same captures (its type is in DWARF through GORT_CLOSURE).
 *   - `info goroutines`: goroutine 1 running story_ready, three goroutines
 *     waiting [chan receive] in adder_step; `p gate` lists them as the
 *     goroutines waiting to receive.
 *   - `p $dtype(shape)`: the value as its dynamic type, {r = 2}.
 * It then prints the summary below and exits 0; nothing is wrong here, it
 * is the reference picture of interfaces and closures.
 */
#include <gort.h>
#include <stdio.h>
#include <string.h>

/* ---- concrete types and their methods ------------------------------ */

struct square { double side; };
struct circle { double r; };
struct label  { const char *text; double width, height; };

/* A method gets the interface's data word: a pointer to the boxed copy
 * for struct types, the pointer itself for struct label *. */
static double square_area(struct square *s) { return s->side * s->side; }
static const char *square_name(struct square *s) { (void)s; return "square"; }
static double circle_area(struct circle *c) { return 3.14159 * c->r * c->r; }
static const char *circle_name(struct circle *c) { (void)c; return "circle"; }
static double label_area(struct label *l) { return l->width * l->height; }
static const char *label_name(struct label *l) { return l->text; }

GORT_DEFINE_TYPE(square_type, struct square,
                 GORT_METHOD("Name", square_name), GORT_METHOD("Area", square_area));
GORT_DEFINE_TYPE(circle_type, struct circle,
                 GORT_METHOD("Area", circle_area), GORT_METHOD("Name", circle_name));
GORT_DEFINE_TYPE(labelptr_type, struct label *,
                 GORT_METHOD("Name", label_name), GORT_METHOD("Area", label_area));

GORT_DEFINE_INTERFACE(shape_iface, "Shape", "Area", "Name");
enum { SHAPE_AREA = 0, SHAPE_NAME = 1 };      /* methods in name order */

static double shape_area(struct iface s)
{
    return ((double (*)(void *))gort_iface_method(s, SHAPE_AREA))(s.data);
}
static const char *shape_name(struct iface s)
{
    return ((const char *(*)(void *))gort_iface_method(s, SHAPE_NAME))(s.data);
}

/* Global, so a debugger finds them from any frame. */
gort_any     things[6];
struct iface shapes[3];
static struct label title = { "title", 4, 0.5 };

/* ---- closures ------------------------------------------------------- */

GORT_CLOSURE(adder, int64_t k; int64_t total; struct hchan *gate; struct hchan *done;);

static void adder_step(struct adder *self)
{
    self->total += self->k;
    int64_t v = self->total;
    gort_chan_send(self->done, &v);
    gort_chan_recv(self->gate, &v);      /* <- parked here at story_ready */
    self->total += self->k;
}

/* Called when the interesting state is reached (a debugger breaks here). */
__attribute__((noinline)) void story_ready(void) { __asm__ volatile(""); }

static int shapes_main(int argc, char **argv)
{
    (void)argc; (void)argv;

    struct square sq = { 3 };
    struct circle ci = { 2 };
    struct label *lp = &title;
    int64_t answer = 42;
    gort_string hello = GORT_STR("hello");
    double ratio = 2.5;

    things[0] = gort_box(&square_type, &sq);
    things[1] = gort_box(&labelptr_type, &lp);
    things[2] = gort_box(&gort_type_int64, &answer);
    things[3] = gort_box(&gort_type_string, &hello);
    things[4] = gort_box(&gort_type_float64, &ratio);
    /* things[5] stays nil */

    shapes[0] = gort_to_iface(&shape_iface, things[0]);
    shapes[1] = gort_to_iface(&shape_iface, gort_box(&circle_type, &ci));
    shapes[2] = gort_to_iface(&shape_iface, things[1]);
    struct iface shape = shapes[1];

    /* Which `any` values are Shapes (Go's s, ok := x.(Shape)). */
    int nshapes = 0;
    for (int i = 0; i < 6; i++) {
        struct iface s;
        if (gort_as_iface(&shape_iface, things[i], &s))
            nshapes++;
    }

    struct hchan *gate = gort_chan_new(&gort_type_int64, 0);
    struct hchan *done = gort_chan_new(&gort_type_int64, 3);
    struct adder *adders[3];
    for (int i = 0; i < 3; i++) {
        adders[i] = gort_closure_new(adder, adder_step);
        adders[i]->k = 10 * (i + 1);
        adders[i]->gate = gate;
        adders[i]->done = done;
        gort_go_func(&adders[i]->fv);
    }
    int64_t firsts = 0, v;
    for (int i = 0; i < 3; i++) {
        gort_chan_recv(done, &v);
        firsts += v;
    }
    /* All three have reported; let them reach the gate. */
    gort_sleep(20 * 1000 * 1000);
    struct adder *adder = adders[1];

    story_ready();

    gort_chan_close(gate);
    gort_sleep(20 * 1000 * 1000);

    for (int i = 0; i < 3; i++)
        printf("%s: area %.2f\n", shape_name(shapes[i]), shape_area(shapes[i]));
    printf("shape is a %s; %d of 6 things are Shapes\n", gort_type_name(shape.tab->type), nshapes);
    printf("adder k=%lld; first totals sum to %lld\n", (long long)adder->k, (long long)firsts);
    return 0;
}

int main(int argc, char **argv)
{
    return gort_main(shapes_main, argc, argv);
}
