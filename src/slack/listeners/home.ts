import type { App } from '@slack/bolt';
import { z } from 'zod';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';

/** What the listener reads of `app_home_opened` (the Events API's event). */
const homeOpened = z.object({
  type: z.literal('app_home_opened'),
  user: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
  tab: z.string().max(32).optional(),
});

/** A click on a button of a Home tab (the container is the view, not a message). */
const homeClick = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().min(1).max(64) }),
  view: z.object({ type: z.literal('home') }),
});

/**
 * The Home tab: published for its user when they open it (`app_home_opened`, tab `home`), then kept current by
 * the HomeTab (src/slack/home-tab.ts) as the migrations they see change. Its buttons are the request messages' and
 * the failures' own (same action ids and nonces): the decision and follow-up listeners handle them, and once they
 * are done the clicker's tab is refreshed (within its rate), whether or not the pipeline said anything.
 */
export function register(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    const opened = homeOpened.safeParse(event);
    if (!opened.success) {
      deps.logger.warn({ payload: 'app_home_opened', issues: opened.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.code}`) }, 'malformed Slack payload ignored');
      return;
    }
    // the Messages tab (where refusals of clicks on the Home tab are sent) opens this event too
    if (opened.data.tab !== undefined && opened.data.tab !== 'home') return;
    try {
      await deps.home?.opened(opened.data.user);
    } catch (error) {
      deps.logger.warn({ user: opened.data.user, err: errorText(error) }, 'home tab not published');
    }
  });

  app.use(async ({ body, next }) => {
    await next();
    const click = homeClick.safeParse(body);
    if (click.success) deps.home?.touched(click.data.user.id);
  });
}
