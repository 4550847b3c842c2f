import { ControlsSchema } from '../../store/twin-store.js';
import { route } from '../route.js';

const KillSwitchBodySchema = ControlsSchema.pick({ reason: true })
  .extend({ actuationPaused: ControlsSchema.shape.actuationPaused.unwrap() })
  .strict();

export const controlRoutes = [
  route({
    method: 'GET',
    path: '/killswitch',
    summary: 'Whether actuation is paused for every twin',
    response: { status: 200, schema: ControlsSchema, description: 'the kill switch' },
    async handle(_, { store }) {
      return { status: 200, body: await store.getControls() };
    },
  }),
  route({
    method: 'PUT',
    path: '/killswitch',
    summary: 'Pause (or resume) all actuation: decisions are still recorded, no capacity changes',
    body: KillSwitchBodySchema,
    response: { status: 200, schema: ControlsSchema, description: 'the kill switch as set' },
    async handle({ body }, { store, now }) {
      const controls = { ...body, updatedAt: new Date(now()).toISOString() };
      await store.putControls(controls);
      return { status: 200, body: controls };
    },
  }),
];
